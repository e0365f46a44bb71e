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
'--config-file=[Path to the server configuration file. Note that if a configuration file is provided, other command line flags and environment variables will be ignored]:CONFIG_FILE:_default' \
'--wal-dir=[Path to the dedicated wal directory]:WAL_DIR:_default' \
'--initial-election-tick-advance=[Whether to fast-forward initial election ticks on boot for faster election]::INITIAL_ELECTION_TICK_ADVANCE:_default' \
'--max-concurrent-streams=[Maximum concurrent streams that each client can open at a time]:MAX_CONCURRENT_STREAMS:_default' \
'--grpc-keepalive-min-time=[Minimum duration interval that a client should wait before pinging server]:GRPC_KEEPALIVE_MIN_TIME:_default' \
'--grpc-keepalive-interval=[Frequency duration of server-to-client ping to check if a connection is alive (0 to disable)]:GRPC_KEEPALIVE_INTERVAL:_default' \
'--grpc-keepalive-timeout=[Additional duration of wait before closing a non-responsive connection (0 to disable)]:GRPC_KEEPALIVE_TIMEOUT:_default' \
'--cors=[Comma-separated whitelist of origins for CORS, or cross-origin resource sharing, (empty or * means allow all)]:CORS:_default' \
'--host-whitelist=[Acceptable hostnames from HTTP client requests, if server is not secure (empty or * means allow all)]:HOST_WHITELIST:_default' \
'--pre-vote=[Enable to run an additional Raft election phase]::PRE_VOTE:_default' \
'--experimental-enable-lease-checkpoint=[Enables the primary lessor to persist lease remainingTTL (leases survive leader changes here already)]::EXPERIMENTAL_ENABLE_LEASE_CHECKPOINT:_default' \
'--experimental-compaction-batch-limit=[Sets the maximum revisions deleted in each compaction batch]:EXPERIMENTAL_COMPACTION_BATCH_LIMIT:_default' \
'--experimental-warning-apply-duration=[Warning is generated if requests take more than this duration]:EXPERIMENTAL_WARNING_APPLY_DURATION:_default' \
'--experimental-backend-bbolt-freelist-type=[bbolt'\''s freelist type (array or map); no effect on LMDB]:EXPERIMENTAL_BACKEND_BBOLT_FREELIST_TYPE:_default' \
'--experimental-enable-v2v3=[Serve v2 requests through the v3 backend under a given prefix (no effect here)]:EXPERIMENTAL_ENABLE_V2V3:_default' \
'--enable-v2=[Accept etcd V2 client requests]::ENABLE_V2:_default' \
'--discovery=[Discovery URL used to bootstrap the cluster]:DISCOVERY:_default' \
'--discovery-fallback=[Expected behavior ('\''exit'\'' or '\''proxy'\'') when discovery services fails]:DISCOVERY_FALLBACK:_default' \
'--discovery-proxy=[HTTP proxy to use for traffic to discovery service]:DISCOVERY_PROXY:_default' \
'--discovery-srv=[DNS srv domain used to bootstrap the cluster]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[Suffix to the dns srv name queried when bootstrapping]:DISCOVERY_SRV_NAME:_default' \
'--discovery-token=[V3 discovery\: discovery token for the etcd cluster to be bootstrapped]:DISCOVERY_TOKEN:_default' \
'--discovery-endpoints=[V3 discovery\: List of gRPC endpoints of the discovery service]:DISCOVERY_ENDPOINTS:_default' \
'--discovery-dial-timeout=[V3 discovery\: dial timeout for client connections]:DISCOVERY_DIAL_TIMEOUT:_default' \
'--discovery-request-timeout=[V3 discovery\: timeout for discovery requests (excluding dial timeout)]:DISCOVERY_REQUEST_TIMEOUT:_default' \
'--discovery-keepalive-time=[V3 discovery\: keepalive time for client connections]:DISCOVERY_KEEPALIVE_TIME:_default' \
'--discovery-keepalive-timeout=[V3 discovery\: keepalive timeout for client connections]:DISCOVERY_KEEPALIVE_TIMEOUT:_default' \
'--discovery-insecure-transport=[V3 discovery\: disable transport security for client connections]::DISCOVERY_INSECURE_TRANSPORT:_default' \
'--discovery-insecure-skip-tls-verify=[V3 discovery\: skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::DISCOVERY_INSECURE_SKIP_TLS_VERIFY:_default' \
'--discovery-cert=[V3 discovery\: identify secure client using this TLS certificate file]:DISCOVERY_CERT:_default' \
'--discovery-key=[V3 discovery\: identify secure client using this TLS key file]:DISCOVERY_KEY:_default' \
'--discovery-cacert=[V3 discovery\: verify certificates of TLS-enabled secure servers using this CA bundle]:DISCOVERY_CACERT:_default' \
'--discovery-user=[V3 discovery\: username\[\:password\] for authentication]:DISCOVERY_USER:_default' \
'--discovery-password=[V3 discovery\: password for authentication (if this option is used, --discovery-user shouldn'\''t include password)]:DISCOVERY_PASSWORD:_default' \
'--proxy=[Proxy mode setting ('\''off'\'', '\''readonly'\'' or '\''on'\''; only '\''off'\'' is supported yet)]:PROXY:_default' \
'--proxy-failure-wait=[Time (in milliseconds) an endpoint will be held in a failed state (v2 proxy, not supported yet)]:PROXY_FAILURE_WAIT:_default' \
'--proxy-refresh-interval=[Time (in milliseconds) of the endpoints refresh interval (v2 proxy, not supported yet)]:PROXY_REFRESH_INTERVAL:_default' \
'--proxy-dial-timeout=[Time (in milliseconds) for a dial to timeout (v2 proxy, not supported yet)]:PROXY_DIAL_TIMEOUT:_default' \
'--proxy-write-timeout=[Time (in milliseconds) for a write to timeout (v2 proxy, not supported yet)]:PROXY_WRITE_TIMEOUT:_default' \
'--proxy-read-timeout=[Time (in milliseconds) for a read to timeout (v2 proxy, not supported yet)]:PROXY_READ_TIMEOUT:_default' \
'--force-new-cluster=[Force to create a new one-member cluster (not supported yet)]::FORCE_NEW_CLUSTER:_default' \
'--listen-client-http-urls=[List of URLs to listen on for HTTP client traffic (etcd 3.5; served like client URLs)]:LISTEN_CLIENT_HTTP_URLS:_default' \
'--feature-gates=[Feature gates (etcd 3.6), e.g. InitialCorruptCheck=true]:FEATURE_GATES:_default' \
'--logger=[Specify '\''zap'\'' for structured logging or '\''capnslog'\'']:LOGGER:_default' \
'--log-outputs=[Specify '\''stdout'\'' or '\''stderr'\'' to skip journald logging even when running under systemd, or list of comma separated output targets]:LOG_OUTPUTS:_default' \
'--debug=[Enable debug-level logging for etcd. \[WARN\] Will be deprecated in v3.5. Use '\''--log-level=debug'\'' instead]::DEBUG:_default' \
'--log-package-levels=[Specify a particular log level for each etcd package (eg\: '\''etcdmain=CRITICAL,etcdserver=DEBUG'\''). Only with --logger=capnslog]:LOG_PACKAGE_LEVELS:_default' \
'--log-format=[Format of the zap logger'\''s lines\: '\''json'\'' or '\''console'\'' (etcd 3.5)]:LOG_FORMAT:_default' \
'--enable-pprof=[Enable runtime profiling data via HTTP server. Address is at client URL + "/debug/pprof/"]::ENABLE_PPROF:_default' \
'--metrics=[Set level of detail for exported metrics, specify '\''extensive'\'' to include server side grpc histogram metrics]:METRICS:_default' \
'--listen-metrics-urls=[List of URLs to listen on for the metrics and health endpoints]:LISTEN_METRICS_URLS:_default' \
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
