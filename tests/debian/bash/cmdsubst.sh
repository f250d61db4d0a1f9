#!/bin/bash
# Command substitution: nesting, newlines, exit status, $(< file).
echo "outer $(echo "inner $(echo deepest)")"
v=$(printf 'a\nb\n\n\n')
echo "trailing newlines stripped: [$v]"
v=`echo backticks`; echo "$v"
v=$(exit 7); echo "status $?"
printf 'from a file\n' > /tmp/cmdsubst.$$
echo "$(< /tmp/cmdsubst.$$)"; rm -f /tmp/cmdsubst.$$
count=$(for i in 1 2 3 4 5; do echo $i; done | wc -l)
echo "lines: $count"
echo "subshell: $(x=inside; echo $x) outside: ${x-unset}"
echo "pid differs: $([[ $BASHPID != $$ ]] && echo yes) same \$\$: $([[ $(echo $$) == $$ ]] && echo yes)"
arr=($(echo one two three)); echo "${#arr[@]} words"
