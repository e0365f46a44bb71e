#compdef etcd

autoload -U is-at-least

_etcd() {
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
'--name=[Human-readable name for this member]:NAME:_default' \
'--data-dir=[Path to the data directory \[default\: \${name}.etcd\]]:DATA_DIR:_files' \
'--listen-client-urls=[List of URLs to listen on for client traffic]:LISTEN_CLIENT_URLS:_default' \
'--advertise-client-urls=[List of this member'\''s client URLs to advertise to the public]:ADVERTISE_CLIENT_URLS:_default' \
'--listen-peer-urls=[List of URLs to listen on for peer traffic]:LISTEN_PEER_URLS:_default' \
'--initial-advertise-peer-urls=[List of this member'\''s peer URLs to advertise to the rest of the cluster]:INITIAL_ADVERTISE_PEER_URLS:_default' \
'--initial-cluster=[Initial cluster configuration for bootstrapping \[default\: \${name}=\${initial-advertise-peer-urls}\]]:INITIAL_CLUSTER:_default' \
'--initial-cluster-state=[Initial cluster state ('\''new'\'' or '\''existing'\'')]:INITIAL_CLUSTER_STATE:_default' \
'--initial-cluster-token=[Initial cluster token for the etcd cluster during bootstrap]:INITIAL_CLUSTER_TOKEN:_default' \
'--heartbeat-interval=[Time (in milliseconds) of a heartbeat interval]:HEARTBEAT_INTERVAL:_default' \
'--election-timeout=[Time (in milliseconds) for an election to timeout]:ELECTION_TIMEOUT:_default' \
'--snapshot-count=[Number of committed transactions to trigger a snapshot to disk]:SNAPSHOT_COUNT:_default' \
'--quota-backend-bytes=[Raise alarms when backend size exceeds the given quota (0 defaults to low space quota)]:QUOTA_BACKEND_BYTES:_default' \
'--max-request-bytes=[Maximum client request size in bytes the server will accept]:MAX_REQUEST_BYTES:_default' \
'--max-txn-ops=[Maximum number of operations permitted in a transaction]:MAX_TXN_OPS:_default' \
'--log-level=[Configures log level. Only supports debug, info, warn, error, panic, or fatal]:LOG_LEVEL:_default' \
'--watch-progress-notify-interval=[Duration of periodic watch progress notifications (e.g. 10m, 5s, 100ms)]:WATCH_PROGRESS_NOTIFY_INTERVAL:_default' \
'--auth-token=[Specify auth token type and options\: '\''simple'\'' or '\''jwt,pub-key=...,priv-key=...,sign-method=...'\'']:AUTH_TOKEN:_default' \
'--auth-token-ttl=[The lifetime in seconds of the auth token]:AUTH_TOKEN_TTL:_default' \
'--bcrypt-cost=[Specify bcrypt algorithm cost factor for auth password hashing]:BCRYPT_COST:_default' \
'--version[Print the version and exit]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
}

(( $+functions[_etcd_commands] )) ||
_etcd_commands() {
    local commands; commands=()
    _describe -t commands 'etcd commands' commands "$@"
}

if [ "$funcstack[1]" = "_etcd" ]; then
    _etcd "$@"
else
    compdef _etcd etcd
fi
