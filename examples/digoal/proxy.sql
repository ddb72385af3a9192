-- The proxy functions of the seed article: same signatures as on the data
-- nodes, LANGUAGE plproxy, routed by the user id itself (RUN ON i_userid:
-- partition = userid & 3), calling digoal.<name> on the data node.
-- Created in schema proxy, where the proxy user's search_path finds them.

create schema if not exists proxy;
set search_path = proxy, public;

create or replace function f_user_login
(i_userid int,
OUT o_userid int,
OUT o_engname text,
OUT o_cnname text,
OUT o_occupation text,
OUT o_birthday date,
OUT o_signname text,
OUT o_email text,
OUT o_qq numeric
)
returns record as $$
  cluster 'digoal';
  run on i_userid;
  target digoal.f_user_login;
$$ language plproxy strict;

create or replace function f_user_logout
(i_userid int,
OUT o_result int
)
returns int as $$
  cluster 'digoal';
  run on i_userid;
  target digoal.f_user_logout;
$$ language plproxy strict;
