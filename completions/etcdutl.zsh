#compdef etcdutl

autoload -U is-at-least

_etcdutl() {
    typeset -A opt_args
    typeset -a _arguments_options
    local ret=1

    if is-at-least 5.2; then
        _arguments_options=(-s -S -C)
    else
        _arguments_options=(-s -C)
    fi

    local context curcontext="$curcontext" state line
    _arguments "${_arguments_options[@]}" : \
'-w+[set the output format (simple, json, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (simple, json, table)]:WRITE_OUT:_default' \
'-h[Print help]' \
'--help[Print help]' \
":: :_etcdutl_commands" \
"*::: :->etcdutl" \
&& ret=0
    case $state in
    (etcdutl)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcdutl-command-$line[1]:"
        case $line[1] in
            (snapshot)
_arguments "${_arguments_options[@]}" : \
'-w+[set the output format (simple, json, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (simple, json, table)]:WRITE_OUT:_default' \
'-h[Print help]' \
'--help[Print help]' \
":: :_etcdutl__subcmd__snapshot_commands" \
"*::: :->snapshot" \
&& ret=0

    case $state in
    (snapshot)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcdutl-snapshot-command-$line[1]:"
        case $line[1] in
            (restore)
_arguments "${_arguments_options[@]}" : \
'--data-dir=[Path to the data directory (default\: <name>.etcd)]:DATA_DIR:_files' \
'--wal-dir=[Path to the WAL directory (use --data-dir if none given)]:WAL_DIR:_files' \
'--name=[Human-readable name for this member]:NAME:_default' \
'--initial-cluster=[Initial cluster configuration for restore bootstrap (default\: <name>=http\://localhost\:2380)]:INITIAL_CLUSTER:_default' \
'--initial-cluster-token=[Initial cluster token for the etcd cluster during restore bootstrap]:INITIAL_CLUSTER_TOKEN:_default' \
'--initial-advertise-peer-urls=[List of this member'\''s peer URLs to advertise to the rest of the cluster]:INITIAL_ADVERTISE_PEER_URLS:_default' \
'--bump-revision=[How much to increase the latest revision after restore]:BUMP_REVISION:_default' \
'-w+[set the output format (simple, json, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (simple, json, table)]:WRITE_OUT:_default' \
'--skip-hash-check[Ignore snapshot integrity hash value (required if copied from data directory)]' \
'--mark-compacted[Mark the latest revision after restore as the point of scheduled compaction (required if --bump-revision > 0, disallowed otherwise)]' \
'-h[Print help]' \
'--help[Print help]' \
':filename -- The snapshot file:_files' \
&& ret=0
;;
(status)
_arguments "${_arguments_options[@]}" : \
'-w+[set the output format (simple, json, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (simple, json, table)]:WRITE_OUT:_default' \
'-h[Print help]' \
'--help[Print help]' \
':filename -- The snapshot file:_files' \
&& ret=0
;;
(export)
_arguments "${_arguments_options[@]}" : \
'--data-dir=[Path to the data directory of the stopped member]:DATA_DIR:_files' \
'-w+[set the output format (simple, json, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (simple, json, table)]:WRITE_OUT:_default' \
'-h[Print help]' \
'--help[Print help]' \
':filename -- The snapshot file to write:_files' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_etcdutl__subcmd__snapshot__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcdutl-snapshot-help-command-$line[1]:"
        case $line[1] in
            (restore)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(status)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(export)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
;;
(defrag)
_arguments "${_arguments_options[@]}" : \
'--data-dir=[Path to the data directory]:DATA_DIR:_files' \
'-w+[set the output format (simple, json, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (simple, json, table)]:WRITE_OUT:_default' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(import)
_arguments "${_arguments_options[@]}" : \
'--data-dir=[Path to the etcd data directory (holding member/)]:DATA_DIR:_files' \
'--wal-dir=[Path to etcd'\''s WAL directory, if etcd ran with --wal-dir (default\: member/wal)]:WAL_DIR:_files' \
'--out=[Path of the data directory to create]:OUT:_files' \
'-w+[set the output format (simple, json, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (simple, json, table)]:WRITE_OUT:_default' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(export)
_arguments "${_arguments_options[@]}" : \
'--data-dir=[Path to the data directory of the stopped member]:DATA_DIR:_files' \
'--wal-dir=[Path to the member'\''s WAL directory, if it ran with --wal-dir (default\: member/wal)]:WAL_DIR:_files' \
'--out=[Path of the etcd data directory to create]:OUT:_files' \
'-w+[set the output format (simple, json, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (simple, json, table)]:WRITE_OUT:_default' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(hashkv)
_arguments "${_arguments_options[@]}" : \
'--data-dir=[Path to the data directory]:DATA_DIR:_files' \
'--rev=[maximum revision to hash (default\: all revisions)]:REV:_default' \
'-w+[set the output format (simple, json, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (simple, json, table)]:WRITE_OUT:_default' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(version)
_arguments "${_arguments_options[@]}" : \
'-w+[set the output format (simple, json, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (simple, json, table)]:WRITE_OUT:_default' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_etcdutl__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcdutl-help-command-$line[1]:"
        case $line[1] in
            (snapshot)
_arguments "${_arguments_options[@]}" : \
":: :_etcdutl__subcmd__help__subcmd__snapshot_commands" \
"*::: :->snapshot" \
&& ret=0

    case $state in
    (snapshot)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcdutl-help-snapshot-command-$line[1]:"
        case $line[1] in
            (restore)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(status)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(export)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(defrag)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(import)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(export)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(hashkv)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(version)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
}

(( $+functions[_etcdutl_commands] )) ||
_etcdutl_commands() {
    local commands; commands=(
'snapshot:Manages etcd node snapshots' \
'defrag:Defragments the storage of a stopped etcd member'\''s data directory' \
'import:Converts a stopped etcd 3.4/3.5 member'\''s data directory into this server'\''s (data, membership, term, applied index, member and cluster IDs)' \
'export:Converts a stopped member'\''s data directory into one etcd 3.4 restarts from (same member and cluster IDs, data, membership, term, applied index)' \
'hashkv:Prints the KV history hash of a stopped member'\''s data directory' \
'version:Prints the version of etcdutl' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'etcdutl commands' commands "$@"
}
(( $+functions[_etcdutl__subcmd__defrag_commands] )) ||
_etcdutl__subcmd__defrag_commands() {
    local commands; commands=()
    _describe -t commands 'etcdutl defrag commands' commands "$@"
}
(( $+functions[_etcdutl__subcmd__export_commands] )) ||
_etcdutl__subcmd__export_commands() {
    local commands; commands=()
    _describe -t commands 'etcdutl export commands' commands "$@"
}
(( $+functions[_etcdutl__subcmd__hashkv_commands] )) ||
_etcdutl__subcmd__hashkv_commands() {
    local commands; commands=()
    _describe -t commands 'etcdutl hashkv commands' commands "$@"
}
(( $+functions[_etcdutl__subcmd__help_commands] )) ||
_etcdutl__subcmd__help_commands() {
    local commands; commands=(
'snapshot:Manages etcd node snapshots' \
'defrag:Defragments the storage of a stopped etcd member'\''s data directory' \
'import:Converts a stopped etcd 3.4/3.5 member'\''s data directory into this server'\''s (data, membership, term, applied index, member and cluster IDs)' \
'export:Converts a stopped member'\''s data directory into one etcd 3.4 restarts from (same member and cluster IDs, data, membership, term, applied index)' \
'hashkv:Prints the KV history hash of a stopped member'\''s data directory' \
'version:Prints the version of etcdutl' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'etcdutl help commands' commands "$@"
}
(( $+functions[_etcdutl__subcmd__help__subcmd__defrag_commands] )) ||
_etcdutl__subcmd__help__subcmd__defrag_commands() {
    local commands; commands=()
    _describe -t commands 'etcdutl help defrag commands' commands "$@"
}
(( $+functions[_etcdutl__subcmd__help__subcmd__export_commands] )) ||
_etcdutl__subcmd__help__subcmd__export_commands() {
    local commands; commands=()
    _describe -t commands 'etcdutl help export commands' commands "$@"
}
(( $+functions[_etcdutl__subcmd__help__subcmd__hashkv_commands] )) ||
_etcdutl__subcmd__help__subcmd__hashkv_commands() {
    local commands; commands=()
    _describe -t commands 'etcdutl help hashkv commands' commands "$@"
}
(( $+functions[_etcdutl__subcmd__help__subcmd__help_commands] )) ||
_etcdutl__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'etcdutl help help commands' commands "$@"
}
(( $+functions[_etcdutl__subcmd__help__subcmd__import_commands] )) ||
_etcdutl__subcmd__help__subcmd__import_commands() {
    local commands; commands=()
    _describe -t commands 'etcdutl help import commands' commands "$@"
}
(( $+functions[_etcdutl__subcmd__help__subcmd__snapshot_commands] )) ||
_etcdutl__subcmd__help__subcmd__snapshot_commands() {
    local commands; commands=(
'restore:Restores an etcd member snapshot to an etcd directory' \
'status:Gets backend snapshot status of a given file' \
'export:Writes a stopped member'\''s data as an etcd 3.4 snapshot file (bbolt + sha256), for the official etcdctl'\''s snapshot status and restore' \
    )
    _describe -t commands 'etcdutl help snapshot commands' commands "$@"
}
(( $+functions[_etcdutl__subcmd__help__subcmd__snapshot__subcmd__export_commands] )) ||
_etcdutl__subcmd__help__subcmd__snapshot__subcmd__export_commands() {
    local commands; commands=()
    _describe -t commands 'etcdutl help snapshot export commands' commands "$@"
}
(( $+functions[_etcdutl__subcmd__help__subcmd__snapshot__subcmd__restore_commands] )) ||
_etcdutl__subcmd__help__subcmd__snapshot__subcmd__restore_commands() {
    local commands; commands=()
    _describe -t commands 'etcdutl help snapshot restore commands' commands "$@"
}
(( $+functions[_etcdutl__subcmd__help__subcmd__snapshot__subcmd__status_commands] )) ||
_etcdutl__subcmd__help__subcmd__snapshot__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'etcdutl help snapshot status commands' commands "$@"
}
(( $+functions[_etcdutl__subcmd__help__subcmd__version_commands] )) ||
_etcdutl__subcmd__help__subcmd__version_commands() {
    local commands; commands=()
    _describe -t commands 'etcdutl help version commands' commands "$@"
}
(( $+functions[_etcdutl__subcmd__import_commands] )) ||
_etcdutl__subcmd__import_commands() {
    local commands; commands=()
    _describe -t commands 'etcdutl import commands' commands "$@"
}
(( $+functions[_etcdutl__subcmd__snapshot_commands] )) ||
_etcdutl__subcmd__snapshot_commands() {
    local commands; commands=(
'restore:Restores an etcd member snapshot to an etcd directory' \
'status:Gets backend snapshot status of a given file' \
'export:Writes a stopped member'\''s data as an etcd 3.4 snapshot file (bbolt + sha256), for the official etcdctl'\''s snapshot status and restore' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'etcdutl snapshot commands' commands "$@"
}
(( $+functions[_etcdutl__subcmd__snapshot__subcmd__export_commands] )) ||
_etcdutl__subcmd__snapshot__subcmd__export_commands() {
    local commands; commands=()
    _describe -t commands 'etcdutl snapshot export commands' commands "$@"
}
(( $+functions[_etcdutl__subcmd__snapshot__subcmd__help_commands] )) ||
_etcdutl__subcmd__snapshot__subcmd__help_commands() {
    local commands; commands=(
'restore:Restores an etcd member snapshot to an etcd directory' \
'status:Gets backend snapshot status of a given file' \
'export:Writes a stopped member'\''s data as an etcd 3.4 snapshot file (bbolt + sha256), for the official etcdctl'\''s snapshot status and restore' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'etcdutl snapshot help commands' commands "$@"
}
(( $+functions[_etcdutl__subcmd__snapshot__subcmd__help__subcmd__export_commands] )) ||
_etcdutl__subcmd__snapshot__subcmd__help__subcmd__export_commands() {
    local commands; commands=()
    _describe -t commands 'etcdutl snapshot help export commands' commands "$@"
}
(( $+functions[_etcdutl__subcmd__snapshot__subcmd__help__subcmd__help_commands] )) ||
_etcdutl__subcmd__snapshot__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'etcdutl snapshot help help commands' commands "$@"
}
(( $+functions[_etcdutl__subcmd__snapshot__subcmd__help__subcmd__restore_commands] )) ||
_etcdutl__subcmd__snapshot__subcmd__help__subcmd__restore_commands() {
    local commands; commands=()
    _describe -t commands 'etcdutl snapshot help restore commands' commands "$@"
}
(( $+functions[_etcdutl__subcmd__snapshot__subcmd__help__subcmd__status_commands] )) ||
_etcdutl__subcmd__snapshot__subcmd__help__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'etcdutl snapshot help status commands' commands "$@"
}
(( $+functions[_etcdutl__subcmd__snapshot__subcmd__restore_commands] )) ||
_etcdutl__subcmd__snapshot__subcmd__restore_commands() {
    local commands; commands=()
    _describe -t commands 'etcdutl snapshot restore commands' commands "$@"
}
(( $+functions[_etcdutl__subcmd__snapshot__subcmd__status_commands] )) ||
_etcdutl__subcmd__snapshot__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'etcdutl snapshot status commands' commands "$@"
}
(( $+functions[_etcdutl__subcmd__version_commands] )) ||
_etcdutl__subcmd__version_commands() {
    local commands; commands=()
    _describe -t commands 'etcdutl version commands' commands "$@"
}

if [ "$funcstack[1]" = "_etcdutl" ]; then
    _etcdutl "$@"
else
    compdef _etcdutl etcdutl
fi
