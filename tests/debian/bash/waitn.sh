#!/bin/bash
# wait -n: the first job to end, whichever it is; -p names its pid.
(sleep 2; exit 3) & slow=$!
(exit 5) & fast=$!
wait -n -p who
echo "first: status $? $([[ $who == "$fast" ]] && echo fast)"
wait -n -p who
echo "second: status $? $([[ $who == "$slow" ]] && echo slow)"
wait -n
echo "none left: status $?"
sleep 1 & a=$!
wait $a; echo "wait pid: $?"
wait 99999 2>/dev/null; echo "not a child: $?"
