-- Every message PL/Proxy rejects a function with at CREATE FUNCTION.
create function e_syntax1(a int4) returns int as $$ cluster 'c' run on a; $$ language plproxy;
create function e_syntax2(a int4) returns int as $$ cluster 'c'; run on -1; $$ language plproxy;
create function e_syntax3(a int4) returns int as $$ cluster 'c'; run on(a); $$ language plproxy;
create function e_syntax4(a int4) returns int as $$ cluster 'c'; select; $$ language plproxy;
create function e_syntax5(a int4) returns int as $$
    cluster 'c';
    select a from t
$$ language plproxy;
create function e_syntax6(a int4) returns int as $$ cluster "c"; $$ language plproxy;
create function e_syntax7(a int4) returns int as $$ cluster 'c'; split a,; $$ language plproxy;
create function e_syntax8(a int4) returns int as $$ cluster 'c'; target; $$ language plproxy;
create function e_syntax9(a int4) returns int as $$ cluster 'c'; run on a \ ; $$ language plproxy;
create function e_syntax10(a int4) returns int as $$ cluster 'unterminated; $$ language plproxy;
create function e_syntax11(a int4) returns int as $$ cluster 'c'; select 1 ` 2; $$ language plproxy;
create function e_syntax12(a int4) returns int as $$ cluster 'c'; select $x$ unterminated; $$ language plproxy;

create function e_only_connect(a text) returns int as $$ connect a; connect a; $$ language plproxy;
create function e_only_cluster(a int4) returns int as $$ cluster 'c';
  cluster 'd'; $$ language plproxy;
create function e_only_run(a int4) returns int as $$ cluster 'c'; run on a; run on any; $$ language plproxy;
create function e_only_split(a int4[]) returns setof int as $$ cluster 'c'; split a; split all; $$ language plproxy;
create function e_only_target(a int4) returns int as $$ cluster 'c'; target x; target y; $$ language plproxy;
create function e_only_select(a int4) returns int as $$ cluster 'c'; select 1;
   select 2; $$ language plproxy;

create function e_argref_run(a int4) returns int as $$
    cLuStEr 'c';
    rUn oN hAshtext($2);
$$ language plproxy;
create function e_argref_run_direct(a int4) returns int as $$ cluster 'c'; run on $0; $$ language plproxy;
create function e_argref_connect(a text) returns int as $$ connect $5; $$ language plproxy;
create function e_argref_select(a int4) returns int as $$ cluster 'c'; select $1 + $3; $$ language plproxy;
create function e_argref_cluster(a int4) returns int as $$ cluster pick($9); $$ language plproxy;
create function e_argref_split(a int4[]) returns setof int as $$ cluster 'c'; split x; $$ language plproxy;

create function e_split_twice(a int4[]) returns setof int as $$ cluster 'c'; split a, $1; $$ language plproxy;
create function e_split_not_array(a int4[], b text, c text) returns setof int as $$ cluster 'c'; split a, $3; $$ language plproxy;

create function e_connect_cluster(a text) returns int as $$ connect a; cluster 'c'; $$ language plproxy;
create function e_connect_run(a text) returns int as $$ run on 0; connect a; $$ language plproxy;
create function e_cluster_missing(a int4) returns int as $$
 --c
 run on a;
 select 1;
$$ language plproxy;
create function e_empty(a int4) returns int as $$$$ language plproxy;
create function e_target_select(a int4) returns int as $$
  cluster 'c';
  target x;
  select 1;
$$ language plproxy;

create function e_volatile(a int4) returns int stable as $$ cluster 'c'; $$ language plproxy;
create function e_immutable(a int4) returns int immutable as $$ cluster 'c'; $$ language plproxy;
create function e_variadic(a int4, variadic b int4[]) returns int as $$ cluster 'c'; $$ language plproxy;
create function e_pseudo_arg(a int4, b cstring) returns int as $$ cluster 'c'; $$ language plproxy;
create function e_pseudo_arg2(a anyelement) returns int as $$ cluster 'c'; $$ language plproxy;
create function e_multirange(a int4, b int4multirange) returns int as $$ cluster 'c'; $$ language plproxy;
create function e_dynamic_select(a int4) returns setof record as $$ cluster 'c'; select 1; $$ language plproxy;
create function e_run_all(a int4) returns int as $$ cluster 'c'; run on all; $$ language plproxy;
create function e_run_all_record(a int4, out x int, out y int) as $$ cluster 'c'; run on all; $$ language plproxy;
