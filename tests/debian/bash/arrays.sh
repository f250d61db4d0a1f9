#!/bin/bash
# Indexed and associative arrays: assignment, slices, holes, quoting.
a=(zero one "two words" three)
echo "count ${#a[@]}, last ${a[-1]}, slice ${a[@]:1:2}"
for x in "${a[@]}"; do printf '<%s>' "$x"; done; echo
a+=(four) ; a[10]=ten
unset 'a[1]'
echo "indices ${!a[*]} count ${#a[@]}"
declare -p a
declare -A m=([apple]=red [banana]=yellow)
m[cherry]=dark\ red
for k in $(printf '%s\n' "${!m[@]}" | sort); do echo "$k=${m[$k]}"; done
[[ -v m[apple] ]] && echo "apple is set"
[[ -v m[kiwi] ]] || echo "kiwi is not"
mapfile -t lines <<< $'l1\nl2\nl3'
echo "mapfile ${#lines[@]}: ${lines[*]}"
read -ra words <<< "  split   these words  "
echo "read -a ${#words[@]}: ${words[1]}"
b=("${a[@]/#/x-}")
echo "${b[@]}"
IFS=, ; echo "joined: ${a[*]}"; unset IFS
