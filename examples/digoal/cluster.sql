-- The proxy database's cluster definition, as in the seed article: cluster
-- `digoal` is an SQL/MED server of the plproxy foreign data wrapper with
-- four partitions, one per data node, credentials in a user mapping.
--
-- The article reaches each data node through a pgbouncer; here the four
-- data nodes are databases digoal0..digoal3 of one local server. Change the
-- p0..p3 connect strings to where your data nodes are.

create extension if not exists plproxy;

create server digoal foreign data wrapper plproxy options (
  connection_lifetime '1800',
  disable_binary '1',
  p0 'host=127.0.0.1 port=5432 dbname=digoal0',
  p1 'host=127.0.0.1 port=5432 dbname=digoal1',
  p2 'host=127.0.0.1 port=5432 dbname=digoal2',
  p3 'host=127.0.0.1 port=5432 dbname=digoal3'
);

create user mapping for proxy server digoal options (user 'digoal', password 'digoal');

grant usage on foreign server digoal to proxy;
