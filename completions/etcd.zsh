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
'--experimental-initial-corrupt-check=[Enable to check data corruption before serving any client/peer traffic]::EXPERIMENTAL_INITIAL_CORRUPT_CHECK:_default' \
'--experimental-corrupt-check-time=[Duration of time between cluster corruption check passes]:EXPERIMENTAL_CORRUPT_CHECK_TIME:_default' \
'--strict-reconfig-check=[Reject reconfiguration requests that would cause quorum loss]::STRICT_RECONFIG_CHECK:_default' \
'--auto-compaction-retention=[Auto compaction retention length. 0 means disable auto compaction]:AUTO_COMPACTION_RETENTION:_default' \
'--auto-compaction-mode=[Interpret '\''auto-compaction-retention'\'' one of\: periodic|revision. '\''periodic'\'' for duration based retention, defaulting to hours if no time unit is provided (e.g. '\''5m'\''). '\''revision'\'' for revision number based retention]:AUTO_COMPACTION_MODE:_default' \
'--max-snapshots=[Maximum number of snapshot files to retain (0 is unlimited)]:MAX_SNAPSHOTS:_default' \
'--max-wals=[Maximum number of wal files to retain (0 is unlimited)]:MAX_WALS:_default' \
'--backend-batch-interval=[BackendBatchInterval is the maximum time before commit the backend transaction]:BACKEND_BATCH_INTERVAL:_default' \
'--backend-batch-limit=[BackendBatchLimit is the maximum operations before commit the backend transaction]:BACKEND_BATCH_LIMIT:_default' \
'--client-crl-file=[Path to the client certificate revocation list file]:CLIENT_CRL_FILE:_default' \
'--client-cert-allowed-hostname=[Allowed TLS hostname for client cert authentication]:CLIENT_CERT_ALLOWED_HOSTNAME:_default' \
'--peer-crl-file=[Path to the peer certificate revocation list file]:PEER_CRL_FILE:_default' \
'--peer-cert-allowed-cn=[Allowed CN for inter peer authentication]:PEER_CERT_ALLOWED_CN:_default' \
'--peer-cert-allowed-hostname=[Allowed TLS hostname for inter peer authentication]:PEER_CERT_ALLOWED_HOSTNAME:_default' \
'--experimental-peer-skip-client-san-verification=[Skip verification of SAN field in client certificate for peer connections]::EXPERIMENTAL_PEER_SKIP_CLIENT_SAN_VERIFICATION:_default' \
'--auth-token=[Specify auth token type and options\: '\''simple'\'' or '\''jwt,pub-key=...,priv-key=...,sign-method=...'\'']:AUTH_TOKEN:_default' \
'--auth-token-ttl=[The lifetime in seconds of the auth token]:AUTH_TOKEN_TTL:_default' \
'--bcrypt-cost=[Specify bcrypt algorithm cost factor for auth password hashing]:BCRYPT_COST:_default' \
'--cert-file=[Path to the client server TLS cert file]:CERT_FILE:_default' \
'--key-file=[Path to the client server TLS key file]:KEY_FILE:_default' \
'--client-cert-auth=[Enable client cert authentication]::CLIENT_CERT_AUTH:_default' \
'--trusted-ca-file=[Path to the client server TLS trusted CA cert file]:TRUSTED_CA_FILE:_default' \
'--auto-tls=[Client TLS using generated certificates]::AUTO_TLS:_default' \
'--peer-cert-file=[Path to the peer server TLS cert file]:PEER_CERT_FILE:_default' \
'--peer-key-file=[Path to the peer server TLS key file]:PEER_KEY_FILE:_default' \
'--peer-client-cert-auth=[Enable peer client cert authentication]::PEER_CLIENT_CERT_AUTH:_default' \
'--peer-trusted-ca-file=[Path to the peer server TLS trusted CA file]:PEER_TRUSTED_CA_FILE:_default' \
'--peer-auto-tls=[Peer TLS using generated certificates]::PEER_AUTO_TLS:_default' \
'--self-signed-cert-validity=[The validity period of the client and peer certificates that are automatically generated by etcd when you specify ClientAutoTLS and PeerAutoTLS, the unit is year, and the default is 1]:SELF_SIGNED_CERT_VALIDITY:_default' \
'--cipher-suites=[Comma-separated list of supported TLS cipher suites between client/server and peers (empty will be auto-populated by rustls)]:CIPHER_SUITES:_default' \
'--tls-min-version=[Minimum TLS version supported by etcd (TLS1.2 or TLS1.3; empty means TLS1.2)]:TLS_MIN_VERSION:_default' \
'--tls-max-version=[Maximum TLS version supported by etcd (TLS1.2 or TLS1.3; empty means the highest, TLS1.3)]:TLS_MAX_VERSION:_default' \
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
