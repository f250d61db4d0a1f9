#!/bin/bash
# Job control in a script (set -m): jobs, stop and continue, %specs, each
# job its own process group.
set -m
sleep 30 &
pid=$!
read -r _ _ _ _ pgid _ < /proc/$pid/stat
[[ $pgid == "$pid" ]] && echo "the job leads its own process group"
read -r _ _ _ _ mypgid _ < /proc/$$/stat
[[ $pgid != "$mypgid" ]] && echo "not the shell's group"
jobs
kill -STOP %1
sleep 0.5
jobs
kill -CONT %sleep
kill %1
# By pid: the job may be reported done (and gone as %1) before this line;
# its pid's status stays.
wait $pid
echo "killed job status $?"
(exit 3) &
wait %%
echo "job status $?"
sleep 0.1 & sleep 0.2 &
wait
jobs
echo "all done"
