-- Every kind of return type a proxy function can have.
create type ret_pair as (id integer, dat text);
create table ret_row (id int8, name varchar(20), price numeric(10,2), created timestamptz);
create type mood as enum ('sad', 'ok', 'happy');
create domain posint as int4 check (value > 0);
create type f8range as range (subtype = float8);

-- scalars
create function r_int(a int4) returns int4 as $$ cluster 'c'; run on a; $$ language plproxy;
create function r_text(a int4) returns text as $$ cluster 'c'; run on a; $$ language plproxy;
create function r_void(a int4) returns void as $$ cluster 'c'; run on a; $$ language plproxy;
create function r_bool(a int4) returns boolean as $$ cluster 'c'; run on a; $$ language plproxy;
create function r_date(a int4) returns date as $$ cluster 'c'; run on a; $$ language plproxy;
create function r_ts(a int4) returns timestamp as $$ cluster 'c'; run on a; $$ language plproxy;
create function r_tstz(a int4) returns timestamp with time zone as $$ cluster 'c'; run on a; $$ language plproxy;
create function r_uuid(a int4) returns uuid as $$ cluster 'c'; run on a; $$ language plproxy;
create function r_bytea(a int4) returns bytea as $$ cluster 'c'; run on a; $$ language plproxy;
create function r_json(a int4) returns json as $$ cluster 'c'; run on a; $$ language plproxy;
create function r_jsonb(a int4) returns jsonb as $$ cluster 'c'; run on a; $$ language plproxy;
create function r_inet(a int4) returns inet as $$ cluster 'c'; run on a; $$ language plproxy;
create function r_numeric(a int4) returns numeric(20,10) as $$ cluster 'c'; run on a; $$ language plproxy;
create function r_varchar(a int4) returns varchar(5) as $$ cluster 'c'; run on a; $$ language plproxy;
create function r_enum(a int4) returns mood as $$ cluster 'c'; run on a; $$ language plproxy;
create function r_domain(a int4) returns posint as $$ cluster 'c'; run on a; $$ language plproxy;
create function r_range(a int4) returns f8range as $$ cluster 'c'; run on a; $$ language plproxy;
create function r_int4range(a int4) returns int4range as $$ cluster 'c'; run on a; $$ language plproxy;
create function r_array(a int4) returns int8[] as $$ cluster 'c'; run on a; $$ language plproxy;
create function r_text_array(a int4) returns text[] as $$ cluster 'c'; run on a; $$ language plproxy;

-- sets of scalars
create function r_setof_text(a int4) returns setof text as $$ cluster 'c'; run on all; $$ language plproxy;
create function r_setof_int8(a int4) returns setof bigint as $$ cluster 'c'; run on a; $$ language plproxy;

-- composites: named type, table row type, sets of them
create function r_pair(username text, num integer) returns ret_pair as $$ cluster 'c'; run on hashtext(username); $$ language plproxy;
create function r_setof_pair(username text) returns setof ret_pair as $$ cluster 'c'; run on all; $$ language plproxy;
create function r_row(id int8) returns ret_row as $$ cluster 'c'; run on hashint8(id); $$ language plproxy;
create function r_setof_row(id int8) returns setof ret_row as $$ cluster 'c'; run on any; $$ language plproxy;

-- OUT and INOUT parameters
create function r_out1(username text, id integer, out data text) as $$ cluster 'c'; run on id; $$ language plproxy;
create function r_out2(username text, id integer, out out_id integer, xdata text, inout xdata2 text, out odata text)
  as $$ cluster 'c'; run on id; $$ language plproxy;
create function r_inout(inout vbool boolean, inout xdate timestamp, inout bin bytea)
  as $$ cluster 'c'; run on 0; $$ language plproxy;
create function r_out_setof(id integer, out a int, out b text) returns setof record as $$ cluster 'c'; run on all; $$ language plproxy;
create function r_out_composite(id integer, out p ret_pair) as $$ cluster 'c'; run on id; $$ language plproxy;

-- RETURNS TABLE, one and several columns
create function r_table(in _id integer) returns table (id integer, t text) as $$ cluster 'c'; run on _id; $$ language plproxy;
create function r_table1(in _id integer) returns table (id integer) as $$ cluster 'c'; run on _id; $$ language plproxy;
create function r_table_target(in _id integer, out id integer, out t text) returns setof record as $$
    cluster 'c';
    run on _id;
    target r_table;
$$ language plproxy;

-- dynamic RECORD: the column list comes from the call site
create function r_dynamic(q text) returns setof record as $$ cluster 'c'; run on all; $$ language plproxy;
create function r_dynamic1(q text) returns record as $$ cluster 'c'; run on 0; $$ language plproxy;

-- range types as INOUT/OUT
create function r_ranges(in _id integer, inout frange f8range, out irange int4range) returns setof record
  as $$ cluster 'c'; run on _id; $$ language plproxy;

-- accepted at CREATE, but every call fails (PL/Proxy checks the return type only when called)
create function r_cstring(a int4) returns cstring as $$ cluster 'c'; run on a; $$ language plproxy;
