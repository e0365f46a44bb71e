#compdef etcd-grpc-proxy

autoload -U is-at-least

_etcd-grpc-proxy() {
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
'-h[Print help]' \
'--help[Print help]' \
":: :_etcd-grpc-proxy_commands" \
"*::: :->etcd-grpc-proxy" \
&& ret=0
    case $state in
    (etcd-grpc-proxy)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcd-grpc-proxy-command-$line[1]:"
        case $line[1] in
            (start)
_arguments "${_arguments_options[@]}" : \
'*--endpoints=[Comma separated etcd cluster endpoints]:ENDPOINTS:_default' \
'--listen-addr=[Listen address]:LISTEN_ADDR:_default' \
'--metrics-addr=[Listen for endpoint /metrics requests on an additional interface (http\:// or https\://)]:METRICS_ADDR:_default' \
'--namespace=[String to prefix to all keys for namespacing requests]:NAMESPACE:_default' \
'--advertise-client-url=[Advertise address to register (must be reachable by client)]:ADVERTISE_CLIENT_URL:_default' \
'--resolver-prefix=[Prefix to use for registering proxy (must be shared with other grpc-proxy members)]:RESOLVER_PREFIX:_default' \
'--resolver-ttl=[Specify TTL, in seconds, when registering proxy endpoints]:RESOLVER_TTL:_default' \
'--cert=[Identify secure connections with etcd servers using this TLS certificate file]:CERT:_default' \
'--key=[Identify secure connections with etcd servers using this TLS key file]:KEY:_default' \
'--cacert=[Verify certificates of TLS-enabled secure etcd servers using this CA bundle]:CACERT:_default' \
'--cert-file=[Identify secure connections to the proxy using this TLS certificate file]:CERT_FILE:_default' \
'--key-file=[Identify secure connections to the proxy using this TLS key file]:KEY_FILE:_default' \
'--trusted-ca-file=[Verify certificates of TLS-enabled secure proxy using this CA bundle (clients must present a certificate it signed)]:TRUSTED_CA_FILE:_default' \
'--client-crl-file=[Proxy client certificate revocation list file]:CLIENT_CRL_FILE:_default' \
'--self-signed-cert-validity=[The validity period of the proxy'\''s self-signed certificate, in years]:SELF_SIGNED_CERT_VALIDITY:_default' \
'*--listen-cipher-suites=[Comma-separated list of supported TLS cipher suites between client/proxy]:LISTEN_CIPHER_SUITES:_default' \
'--tls-min-version=[Minimum TLS version between client/proxy (TLS1.2 or TLS1.3)]:TLS_MIN_VERSION:_default' \
'--data-dir=[Data directory for persistent data (auto-TLS files)]:DATA_DIR:_files' \
'--max-send-bytes=[Message send limits in bytes]:MAX_SEND_BYTES:_default' \
'--max-recv-bytes=[Message receive limits in bytes]:MAX_RECV_BYTES:_default' \
'--max-concurrent-streams=[Maximum concurrent streams that each client can open at a time]:MAX_CONCURRENT_STREAMS:_default' \
'--endpoints-auto-sync-interval=[etcd endpoints auto sync interval, Go duration (0\: disabled, the default)\: the proxy'\''s endpoints follow the cluster'\''s member list]:ENDPOINTS_AUTO_SYNC_INTERVAL:_default' \
'--grpc-keepalive-min-time=[Minimum interval a client should wait before pinging the proxy (Go duration)]:GRPC_KEEPALIVE_MIN_TIME:_default' \
'--grpc-keepalive-interval=[Frequency of the proxy'\''s pings to a client connection (Go duration; 0\: off)]:GRPC_KEEPALIVE_INTERVAL:_default' \
'--grpc-keepalive-timeout=[How long the proxy waits for a ping'\''s answer before closing the connection]:GRPC_KEEPALIVE_TIMEOUT:_default' \
'--experimental-leasing-prefix=[Leasing metadata prefix for disconnected linearized reads (accepted, not used)]:EXPERIMENTAL_LEASING_PREFIX:_default' \
'--discovery-srv=[Domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[Service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'--insecure-discovery=[Accept insecure SRV records]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify[Skip authentication of etcd server TLS certificates (CAUTION\: testing only)]' \
'--auto-tls[Proxy TLS using generated certificates]' \
'--debug[Enable debug-level logging for grpc-proxy]' \
'--enable-pprof[Enable runtime profiling data via HTTP server (accepted, not served)]' \
'--experimental-serializable-ordering[Ensure serializable reads have monotonically increasing store revisions (accepted)]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_etcd-grpc-proxy__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcd-grpc-proxy-help-command-$line[1]:"
        case $line[1] in
            (start)
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

(( $+functions[_etcd-grpc-proxy_commands] )) ||
_etcd-grpc-proxy_commands() {
    local commands; commands=(
'start:Start the gRPC proxy' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'etcd-grpc-proxy commands' commands "$@"
}
(( $+functions[_etcd-grpc-proxy__subcmd__help_commands] )) ||
_etcd-grpc-proxy__subcmd__help_commands() {
    local commands; commands=(
'start:Start the gRPC proxy' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'etcd-grpc-proxy help commands' commands "$@"
}
(( $+functions[_etcd-grpc-proxy__subcmd__help__subcmd__help_commands] )) ||
_etcd-grpc-proxy__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'etcd-grpc-proxy help help commands' commands "$@"
}
(( $+functions[_etcd-grpc-proxy__subcmd__help__subcmd__start_commands] )) ||
_etcd-grpc-proxy__subcmd__help__subcmd__start_commands() {
    local commands; commands=()
    _describe -t commands 'etcd-grpc-proxy help start commands' commands "$@"
}
(( $+functions[_etcd-grpc-proxy__subcmd__start_commands] )) ||
_etcd-grpc-proxy__subcmd__start_commands() {
    local commands; commands=()
    _describe -t commands 'etcd-grpc-proxy start commands' commands "$@"
}

if [ "$funcstack[1]" = "_etcd-grpc-proxy" ]; then
    _etcd-grpc-proxy "$@"
else
    compdef _etcd-grpc-proxy etcd-grpc-proxy
fi
