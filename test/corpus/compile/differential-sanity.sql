-- A few valid and invalid PL/Proxy definitions: the built-in sanity file of
-- test/compiler/differential-corpus.pg.test.ts, which runs every statement on
-- the real PL/Proxy and compiles the file with plproxy-ts, and compares.

create schema sanity;
set search_path = sanity, public;

create function get_user(username text) returns text as $$
  cluster 'userdb';
  run on hashtext(username);
$$ language plproxy;

create function all_users() returns setof text as $$
  CLUSTER 'userdb'; RUN ON ALL;
  SELECT username FROM users WHERE note <> 'it''s; fine' /* ; */ AND tag = $t$ ; $t$;
$$ language plproxy;

-- $2 with one argument
create function bad_ref(a int4) returns int4 as $$
  cluster 'userdb';
  run on $2;
$$ language plproxy;

-- not volatile
create function stable_fn(a int4) returns int4 stable as $$ cluster 'userdb'; $$ language plproxy;

-- RUN ON ALL without SETOF
create function not_setof(a int4) returns int4 as $$ cluster 'userdb'; run on all; $$ language plproxy;

-- a type that does not exist
create function unknown_type(a no_such_type) returns int4 as $$ cluster 'userdb'; $$ language plproxy;

-- a missing semicolon
create function syntax_err(a int4) returns int4 as $$
  cluster 'userdb'
  run on a;
$$ language plproxy;

-- neither CLUSTER nor CONNECT
create function no_cluster(a int4) returns int4 as $$ run on a; $$ language plproxy;

create function split_ok(ids int4[], names text[]) returns setof text as $$
  cluster 'userdb'; split ids, names; run on ids;
$$ language plproxy;

-- SPLIT of a scalar
create function split_bad(ids int4[], n text) returns setof text as $$
  cluster 'userdb'; split n; run on ids;
$$ language plproxy;

-- SELECT in a dynamic RECORD function
create function dyn(q text) returns setof record as $$
  cluster 'userdb'; run on all; select * from t;
$$ language plproxy;

-- CONNECT with RUN
create function conn_run(a text) returns text as $$ connect 'dbname=x'; run on 0; $$ language plproxy;

-- TARGET with SELECT
create function tgt_sel() returns int4 as $$ cluster 'userdb'; target other; select 1; $$ language plproxy;

-- a second RUN
create function two_runs(a int4) returns int4 as $$
  cluster 'userdb';
  run on a;
  run on any;
$$ language plproxy;

create function "MixedCase"(a int4, out x int4, out y text) as $$
  cluster 'userdb'; run on a; select $3;
$$ language plproxy;

-- SQL/MED clusters
create server userdb foreign data wrapper plproxy
  options (partition_0 'dbname=p0', partition_1 'dbname=p1');
create server three foreign data wrapper plproxy options (p0 'dbname=p0', p1 'dbname=p1', p2 'dbname=p2');
create server badopt foreign data wrapper plproxy options (p0 'dbname=p0', connect_timeout '5');
create server badnum foreign data wrapper plproxy options (p0 'dbname=p0', query_timeout '-1');
create user mapping for public server userdb options (user 'postgres');
create user mapping for current_user server userdb options (dbname 'x');
alter server userdb options (add query_timeout '10');
alter server userdb options (set query_timeout 'x');
alter foreign data wrapper plproxy options (connection_lifetime '1800');
alter foreign data wrapper plproxy options (bogus '1');

-- a rejected CREATE FUNCTION leaves nothing behind: the same name can be created next
create function again(a int4) returns int4 as $$ cluster 'userdb'; run on $2; $$ language plproxy;
create function again(a int4) returns int4 as $$ cluster 'userdb'; run on a; $$ language plproxy;

-- a failed CREATE OR REPLACE keeps the previous definition
create or replace function get_user(username text) returns text as $$ cluster 'userdb'; run on $5; $$ language plproxy;
create function get_user(username text) returns text as $$ cluster 'userdb'; $$ language plproxy;

-- an ALTER that breaks the partition numbering is the statement that fails
create server four foreign data wrapper plproxy options (p0 'dbname=p0', p1 'dbname=p1');
alter server four options (add p2 'dbname=p2', add p3 'dbname=p3');
alter server four options (drop p1);
