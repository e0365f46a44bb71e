# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_etcdutl_global_optspecs
    string join \n w/write-out= h/help
end

function __fish_etcdutl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_etcdutl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_etcdutl_using_subcommand
    set -l cmd (__fish_etcdutl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c etcdutl -n "__fish_etcdutl_needs_command" -s w -l write-out -d 'set the output format (simple, json, table)' -r
complete -c etcdutl -n "__fish_etcdutl_needs_command" -s h -l help -d 'Print help'
complete -c etcdutl -n "__fish_etcdutl_needs_command" -f -a "snapshot" -d 'Manages etcd node snapshots'
complete -c etcdutl -n "__fish_etcdutl_needs_command" -f -a "defrag" -d 'Defragments the storage of a stopped etcd member\'s data directory'
complete -c etcdutl -n "__fish_etcdutl_needs_command" -f -a "import" -d 'Converts a stopped etcd 3.4/3.5 member\'s data directory into this server\'s (data, membership, term, applied index, member and cluster IDs)'
complete -c etcdutl -n "__fish_etcdutl_needs_command" -f -a "export" -d 'Converts a stopped member\'s data directory into one etcd 3.4 restarts from (same member and cluster IDs, data, membership, term, applied index)'
complete -c etcdutl -n "__fish_etcdutl_needs_command" -f -a "hashkv" -d 'Prints the KV history hash of a stopped member\'s data directory'
complete -c etcdutl -n "__fish_etcdutl_needs_command" -f -a "version" -d 'Prints the version of etcdutl'
complete -c etcdutl -n "__fish_etcdutl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c etcdutl -n "__fish_etcdutl_using_subcommand snapshot; and not __fish_seen_subcommand_from restore status export help" -s w -l write-out -d 'set the output format (simple, json, table)' -r
complete -c etcdutl -n "__fish_etcdutl_using_subcommand snapshot; and not __fish_seen_subcommand_from restore status export help" -s h -l help -d 'Print help'
complete -c etcdutl -n "__fish_etcdutl_using_subcommand snapshot; and not __fish_seen_subcommand_from restore status export help" -f -a "restore" -d 'Restores an etcd member snapshot to an etcd directory'
complete -c etcdutl -n "__fish_etcdutl_using_subcommand snapshot; and not __fish_seen_subcommand_from restore status export help" -f -a "status" -d 'Gets backend snapshot status of a given file'
complete -c etcdutl -n "__fish_etcdutl_using_subcommand snapshot; and not __fish_seen_subcommand_from restore status export help" -f -a "export" -d 'Writes a stopped member\'s data as an etcd 3.4 snapshot file (bbolt + sha256), for the official etcdctl\'s snapshot status and restore'
complete -c etcdutl -n "__fish_etcdutl_using_subcommand snapshot; and not __fish_seen_subcommand_from restore status export help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c etcdutl -n "__fish_etcdutl_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -l data-dir -d 'Path to the data directory (default: <name>.etcd)' -r -F
complete -c etcdutl -n "__fish_etcdutl_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -l wal-dir -d 'Path to the WAL directory (use --data-dir if none given)' -r -F
complete -c etcdutl -n "__fish_etcdutl_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -l name -d 'Human-readable name for this member' -r
complete -c etcdutl -n "__fish_etcdutl_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -l initial-cluster -d 'Initial cluster configuration for restore bootstrap (default: <name>=http://localhost:2380)' -r
complete -c etcdutl -n "__fish_etcdutl_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -l initial-cluster-token -d 'Initial cluster token for the etcd cluster during restore bootstrap' -r
complete -c etcdutl -n "__fish_etcdutl_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -l initial-advertise-peer-urls -d 'List of this member\'s peer URLs to advertise to the rest of the cluster' -r
complete -c etcdutl -n "__fish_etcdutl_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -l bump-revision -d 'How much to increase the latest revision after restore' -r
complete -c etcdutl -n "__fish_etcdutl_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -s w -l write-out -d 'set the output format (simple, json, table)' -r
complete -c etcdutl -n "__fish_etcdutl_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -l skip-hash-check -d 'Ignore snapshot integrity hash value (required if copied from data directory)'
complete -c etcdutl -n "__fish_etcdutl_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -l mark-compacted -d 'Mark the latest revision after restore as the point of scheduled compaction (required if --bump-revision > 0, disallowed otherwise)'
complete -c etcdutl -n "__fish_etcdutl_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -s h -l help -d 'Print help'
complete -c etcdutl -n "__fish_etcdutl_using_subcommand snapshot; and __fish_seen_subcommand_from status" -s w -l write-out -d 'set the output format (simple, json, table)' -r
complete -c etcdutl -n "__fish_etcdutl_using_subcommand snapshot; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c etcdutl -n "__fish_etcdutl_using_subcommand snapshot; and __fish_seen_subcommand_from export" -l data-dir -d 'Path to the data directory of the stopped member' -r -F
complete -c etcdutl -n "__fish_etcdutl_using_subcommand snapshot; and __fish_seen_subcommand_from export" -s w -l write-out -d 'set the output format (simple, json, table)' -r
complete -c etcdutl -n "__fish_etcdutl_using_subcommand snapshot; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help'
complete -c etcdutl -n "__fish_etcdutl_using_subcommand snapshot; and __fish_seen_subcommand_from help" -f -a "restore" -d 'Restores an etcd member snapshot to an etcd directory'
complete -c etcdutl -n "__fish_etcdutl_using_subcommand snapshot; and __fish_seen_subcommand_from help" -f -a "status" -d 'Gets backend snapshot status of a given file'
complete -c etcdutl -n "__fish_etcdutl_using_subcommand snapshot; and __fish_seen_subcommand_from help" -f -a "export" -d 'Writes a stopped member\'s data as an etcd 3.4 snapshot file (bbolt + sha256), for the official etcdctl\'s snapshot status and restore'
complete -c etcdutl -n "__fish_etcdutl_using_subcommand snapshot; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c etcdutl -n "__fish_etcdutl_using_subcommand defrag" -l data-dir -d 'Path to the data directory' -r -F
complete -c etcdutl -n "__fish_etcdutl_using_subcommand defrag" -s w -l write-out -d 'set the output format (simple, json, table)' -r
complete -c etcdutl -n "__fish_etcdutl_using_subcommand defrag" -s h -l help -d 'Print help'
complete -c etcdutl -n "__fish_etcdutl_using_subcommand import" -l data-dir -d 'Path to the etcd data directory (holding member/)' -r -F
complete -c etcdutl -n "__fish_etcdutl_using_subcommand import" -l wal-dir -d 'Path to etcd\'s WAL directory, if etcd ran with --wal-dir (default: member/wal)' -r -F
complete -c etcdutl -n "__fish_etcdutl_using_subcommand import" -l out -d 'Path of the data directory to create' -r -F
complete -c etcdutl -n "__fish_etcdutl_using_subcommand import" -s w -l write-out -d 'set the output format (simple, json, table)' -r
complete -c etcdutl -n "__fish_etcdutl_using_subcommand import" -s h -l help -d 'Print help'
complete -c etcdutl -n "__fish_etcdutl_using_subcommand export" -l data-dir -d 'Path to the data directory of the stopped member' -r -F
complete -c etcdutl -n "__fish_etcdutl_using_subcommand export" -l wal-dir -d 'Path to the member\'s WAL directory, if it ran with --wal-dir (default: member/wal)' -r -F
complete -c etcdutl -n "__fish_etcdutl_using_subcommand export" -l out -d 'Path of the etcd data directory to create' -r -F
complete -c etcdutl -n "__fish_etcdutl_using_subcommand export" -s w -l write-out -d 'set the output format (simple, json, table)' -r
complete -c etcdutl -n "__fish_etcdutl_using_subcommand export" -s h -l help -d 'Print help'
complete -c etcdutl -n "__fish_etcdutl_using_subcommand hashkv" -l data-dir -d 'Path to the data directory' -r -F
complete -c etcdutl -n "__fish_etcdutl_using_subcommand hashkv" -l rev -d 'maximum revision to hash (default: all revisions)' -r
complete -c etcdutl -n "__fish_etcdutl_using_subcommand hashkv" -s w -l write-out -d 'set the output format (simple, json, table)' -r
complete -c etcdutl -n "__fish_etcdutl_using_subcommand hashkv" -s h -l help -d 'Print help'
complete -c etcdutl -n "__fish_etcdutl_using_subcommand version" -s w -l write-out -d 'set the output format (simple, json, table)' -r
complete -c etcdutl -n "__fish_etcdutl_using_subcommand version" -s h -l help -d 'Print help'
complete -c etcdutl -n "__fish_etcdutl_using_subcommand help; and not __fish_seen_subcommand_from snapshot defrag import export hashkv version help" -f -a "snapshot" -d 'Manages etcd node snapshots'
complete -c etcdutl -n "__fish_etcdutl_using_subcommand help; and not __fish_seen_subcommand_from snapshot defrag import export hashkv version help" -f -a "defrag" -d 'Defragments the storage of a stopped etcd member\'s data directory'
complete -c etcdutl -n "__fish_etcdutl_using_subcommand help; and not __fish_seen_subcommand_from snapshot defrag import export hashkv version help" -f -a "import" -d 'Converts a stopped etcd 3.4/3.5 member\'s data directory into this server\'s (data, membership, term, applied index, member and cluster IDs)'
complete -c etcdutl -n "__fish_etcdutl_using_subcommand help; and not __fish_seen_subcommand_from snapshot defrag import export hashkv version help" -f -a "export" -d 'Converts a stopped member\'s data directory into one etcd 3.4 restarts from (same member and cluster IDs, data, membership, term, applied index)'
complete -c etcdutl -n "__fish_etcdutl_using_subcommand help; and not __fish_seen_subcommand_from snapshot defrag import export hashkv version help" -f -a "hashkv" -d 'Prints the KV history hash of a stopped member\'s data directory'
complete -c etcdutl -n "__fish_etcdutl_using_subcommand help; and not __fish_seen_subcommand_from snapshot defrag import export hashkv version help" -f -a "version" -d 'Prints the version of etcdutl'
complete -c etcdutl -n "__fish_etcdutl_using_subcommand help; and not __fish_seen_subcommand_from snapshot defrag import export hashkv version help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c etcdutl -n "__fish_etcdutl_using_subcommand help; and __fish_seen_subcommand_from snapshot" -f -a "restore" -d 'Restores an etcd member snapshot to an etcd directory'
complete -c etcdutl -n "__fish_etcdutl_using_subcommand help; and __fish_seen_subcommand_from snapshot" -f -a "status" -d 'Gets backend snapshot status of a given file'
complete -c etcdutl -n "__fish_etcdutl_using_subcommand help; and __fish_seen_subcommand_from snapshot" -f -a "export" -d 'Writes a stopped member\'s data as an etcd 3.4 snapshot file (bbolt + sha256), for the official etcdctl\'s snapshot status and restore'
