#!/bin/bash
# Counts syncs per file descriptor of a server while N sequential puts run (issue 10).
# usage: bench/count_syncs.sh SERVER_BINARY N   (needs strace; uses target/debug/etcd benchmark)
set -u
bin=$1; n=$2
d=$(mktemp -d /tmp/syncs.XXXX)
cp=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
pp=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
$bin --name m1 --data-dir $d --listen-client-urls http://127.0.0.1:$cp --advertise-client-urls http://127.0.0.1:$cp --listen-peer-urls http://127.0.0.1:$pp --initial-advertise-peer-urls http://127.0.0.1:$pp --initial-cluster m1=http://127.0.0.1:$pp > $d.log 2>&1 &
pid=$!
for i in $(seq 100); do curl -s http://127.0.0.1:$cp/health | grep -q true && break; sleep 0.2; done
sleep 1
echo "fds:"; for f in /proc/$pid/fd/*; do t=$(readlink $f); case $t in *member*) echo "$(basename $f) $t flags=$(grep flags /proc/$pid/fdinfo/$(basename $f)|awk '{print $2}')";; esac; done
strace -f -e trace=fsync,fdatasync,pwrite64,pwritev,writev,write,sync_file_range -p $pid -o $d.strace 2>/dev/null &
spid=$!
sleep 1
t0=$(date +%s.%N)
timeout 300 "$(dirname "$0")"/../target/debug/etcd benchmark --endpoints 127.0.0.1:$cp --conns 1 --clients 1 put --key-size 8 --val-size 256 --total $n 2>&1 | grep -i "requests/sec\|Average"
t1=$(date +%s.%N)
kill -INT $spid; wait $spid
kill $pid; wait $pid 2>/dev/null
echo "elapsed $(python3 -c "print(round($t1-$t0,2))") s"
echo "fdatasync/fsync per fd:"; grep -oE "(fdatasync|fsync)\([0-9]+" $d.strace | sort | uniq -c
echo "writes per fd (calls):"; grep -oE "^[0-9]+ +(pwrite64|pwritev|writev|write)\([0-9]+" $d.strace | awk '{print $2}' | sort | uniq -c
rm -rf $d $d.log $d.strace
