-- The common argument types, as PL/Proxy prints them in the remote query.
create type addr as (street text, zip varchar(10));
create type color as enum ('red', 'green');
create domain email as text check (value like '%@%');

create function a_ints(a smallint, b integer, c bigint) returns setof int as $$ cluster 'c'; run on all; $$ language plproxy;
create function a_texts(a text, b varchar(10), c char(3), d "char", e name) returns setof int as $$ cluster 'c'; run on all; $$ language plproxy;
create function a_numbers(a numeric(20,10), b real, c double precision, d numeric, e money) returns setof int as $$ cluster 'c'; run on all; $$ language plproxy;
create function a_bool(a boolean) returns setof int as $$ cluster 'c'; run on all; $$ language plproxy;
create function a_times(a date, b timestamp, c timestamptz, d time, e timetz, f interval)
  returns setof int as $$ cluster 'c'; run on all; $$ language plproxy;
create function a_misc(a uuid, b bytea, c json, d jsonb, e inet, f cidr, g macaddr, h bit(8), i varbit, j xml, k oid)
  returns setof int as $$ cluster 'c'; run on all; $$ language plproxy;
create function a_arrays(a int4[], b text[], c varchar(3)[], d numeric[], e uuid[], f int8[][])
  returns setof int as $$ cluster 'c'; run on all; $$ language plproxy;
create function a_user_types(a addr, b color, c email, d addr[], e color[]) returns setof int as $$ cluster 'c'; run on all; $$ language plproxy;
create function a_ranges(a int4range, b tstzrange, c numrange) returns setof int as $$ cluster 'c'; run on all; $$ language plproxy;

-- names that need quoting, unnamed arguments
create function "TestQuoting"("User Name" text, "select" integer, plain text) returns setof int as $$ cluster 'c'; run on hashtext($1); $$ language plproxy;
create function a_unnamed(text, integer) returns setof int as $$ cluster 'c'; run on $2; $$ language plproxy;
create function a_defaults(a int4, b text default 'x', c int8 = 42) returns setof int as $$ cluster 'c'; run on a; $$ language plproxy;
