-- Every statement form of the body language.
create function s_cluster_name(a int4) returns setof int as $$ cluster 'some ''quoted'' name'; run on all; $$ language plproxy;
create function s_cluster_fn(part int4) returns setof int as $$ cluster map_cluster(part); run on all; $$ language plproxy;
create function s_cluster_expr(part int4, suffix text) returns setof int as $$ cluster pick(part) || suffix; run on all; $$ language plproxy;

create function s_connect_str() returns setof int as $$ connect 'dbname=part0'; $$ language plproxy;
create function s_connect_arg(connstr text) returns setof int as $$ connect connstr; $$ language plproxy;
create function s_connect_num(connstr text) returns setof int as $$ connect $1; $$ language plproxy;
create function s_connect_fn(db text) returns setof int as $$ connect text(db); $$ language plproxy;
create function s_connect_unknown(db text) returns setof int as $$ connect some_name; $$ language plproxy;

create function s_run_all(a int4) returns setof int as $$ cluster 'c'; run on all; $$ language plproxy;
create function s_run_any(a int4) returns int as $$ cluster 'c'; run on any; $$ language plproxy;
create function s_run_default(a int4) returns int as $$ cluster 'c'; $$ language plproxy;
create function s_run_nr(a int4) returns int as $$ cluster 'c'; run on 2; $$ language plproxy;
create function s_run_arg(a int4) returns int as $$ cluster 'c'; run on a; $$ language plproxy;
create function s_run_num(a int4) returns int as $$ cluster 'c'; run on $1; $$ language plproxy;
create function s_run_hashtext(username text) returns int as $$ cluster 'c'; run on hashtext(username); $$ language plproxy;
create function s_run_hashint(a int2, b int4, c int8) returns int as $$ cluster 'c'; run on hashint8(c); $$ language plproxy;
create function s_run_int4cast(part text) returns int as $$ cluster 'c'; run on int4(part); $$ language plproxy;
create function s_run_userfn(username text) returns setof int as $$ cluster 'c'; run on my_hash(username, 2); $$ language plproxy;
create function s_run_unknown(username text) returns int as $$ cluster 'c'; run on user_key; $$ language plproxy;
create function s_run_casekw(Username text) returns int as $$ cLuStEr 'c'; rUn oN hAsHtExT(USERNAME); $$ language plproxy;

create function s_split(a text[], b text[], c int4) returns setof int as $$ cluster 'c'; split a, b; run on hashtext(a); $$ language plproxy;
create function s_split_all(a text[], b int4, c int8[]) returns setof int as $$ cluster 'c'; split all; run on hashint8(c); $$ language plproxy;
create function s_split_none(a text, b int4) returns setof int as $$ cluster 'c'; split all; run on b; $$ language plproxy;
create function s_split_num(a int4[]) returns setof int as $$ cluster 'c'; split $1; run on a; $$ language plproxy;

create function s_target(a int4) returns int as $$ cluster 'c'; run on a; target other_function; $$ language plproxy;
create function s_target_dotted(a int4) returns int as $$ cluster 'c'; run on a; target other_schema.other_function; $$ language plproxy;

create function s_select(username text, id int4) returns setof text as $$
    cluster 'c';
    run on hashtext(username);
    select data from t where username = username and id = $2;
$$ language plproxy;
create function s_select_reorder(a varchar, b varchar, c varchar) returns setof text as $$
    cluster 'c';
    SELECT * FROM remote_func(a, c, b);
$$ language plproxy;
create function s_select_quoting(username text) returns setof int as $body$
    cluster 'c';
    select /*a;b*/ id
      from sel_test
     where username = username
       and ';' <> 'as;d''a ; sd'
       and $tmp$ ; 'a' $tmp$ <> 'as;d''a ; sd'
       and "..""quoted"".." = 'quoted'
       and $tmp$ $ $$  $foo$tmp$ <> 'x'  -- comment ; here
       and E'a\'b;' <> 'x';
$body$ language plproxy;
create function s_select_paren(a int4) returns int as $$ cluster 'c'; select (0*0); $$ language plproxy;
create function s_select_dot(a int4) returns int as $$ cluster 'c'; select (f(1)).num, t.a from t; $$ language plproxy;
create function s_select_numbers(a int4) returns int as $$ cluster 'c'; select 1.5 + 1..2 + a::int8 + B'0101'::int; $$ language plproxy;
create function s_comments(a int4) returns int as $$
  -- a line comment with CLUSTER 'x';
  /* a block comment; RUN ON ALL; */
  cluster 'c'; /* unterminated at the end
$$ language plproxy;
create function s_empty_stmts(a int4) returns int as $$ cluster 'c'; $$ language plproxy;
