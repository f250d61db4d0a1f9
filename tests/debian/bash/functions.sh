#!/bin/bash
# Functions: locals, dynamic scope, recursion, return codes, namerefs.
fact() { (( $1 <= 1 )) && { echo 1; return; }; echo $(( $1 * $(fact $(( $1 - 1 ))) )); }
echo "10! = $(fact 10)"
v=global
show() { echo "v=$v in ${FUNCNAME[0]} called from ${FUNCNAME[1]:-main}"; }
outer() { local v=outer-local; show; }
outer; show
setit() { local -n ref=$1; ref="set by nameref"; }
setit target; echo "$target"
rc() { return $1; }
rc 42; echo "return $?"
counter=0
bump() { counter=$((counter + 1)); }
for i in 1 2 3; do bump; done; echo "counter $counter"
declare -f rc
args() { echo "$# args: $*; second=$2"; shift 2; echo "after shift: $@"; }
args a "b c" d e
type -t fact; type -t echo; type -t ls
unset -f fact; type -t fact || echo "fact gone"
