#!/bin/bash
# [[ ]]: patterns, regular expressions, string and number tests, -v.
s=pikern-0.21.tar.gz
[[ $s == pikern-* ]] && echo "glob match"
[[ $s == "pikern-*" ]] || echo "quoted pattern is literal"
if [[ $s =~ ^([a-z]+)-([0-9]+)\.([0-9]+) ]]; then
    echo "regex: ${BASH_REMATCH[0]} name=${BASH_REMATCH[1]} major=${BASH_REMATCH[2]} minor=${BASH_REMATCH[3]}"
fi
[[ abc < abd ]] && echo "abc < abd"
[[ 10 -gt 9 && ! 10 < 9 ]] && echo "numeric vs string order"
x=
[[ -z $x && -n $s ]] && echo "empty and non-empty"
[[ -v x ]] && echo "x is set (empty)"
[[ -v nosuch ]] || echo "nosuch unset"
[[ -d / && -e /proc/self ]] && echo "files exist"
shopt -s nocasematch
[[ HELLO == hello ]] && echo "nocasematch"
shopt -u nocasematch
case $s in *.tar.gz) echo "case tarball" ;; *) echo "case other" ;; esac
(( 3 > 2 )) && echo "arith test"
[ "a" = "a" ] && test 1 -eq 1 && echo "test builtin"
