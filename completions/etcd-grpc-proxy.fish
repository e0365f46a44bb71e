# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_etcd_grpc_proxy_global_optspecs
    string join \n h/help
end

function __fish_etcd_grpc_proxy_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_etcd_grpc_proxy_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_etcd_grpc_proxy_using_subcommand
    set -l cmd (__fish_etcd_grpc_proxy_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_needs_command" -s h -l help -d 'Print help'
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_needs_command" -f -a "start" -d 'Start the gRPC proxy'
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand start" -l endpoints -d 'Comma separated etcd cluster endpoints' -r
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand start" -l listen-addr -d 'Listen address' -r
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand start" -l metrics-addr -d 'Listen for endpoint /metrics requests on an additional interface (http:// or https://)' -r
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand start" -l namespace -d 'String to prefix to all keys for namespacing requests' -r
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand start" -l advertise-client-url -d 'Advertise address to register (must be reachable by client)' -r
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand start" -l resolver-prefix -d 'Prefix to use for registering proxy (must be shared with other grpc-proxy members)' -r
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand start" -l resolver-ttl -d 'Specify TTL, in seconds, when registering proxy endpoints' -r
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand start" -l cert -d 'Identify secure connections with etcd servers using this TLS certificate file' -r
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand start" -l key -d 'Identify secure connections with etcd servers using this TLS key file' -r
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand start" -l cacert -d 'Verify certificates of TLS-enabled secure etcd servers using this CA bundle' -r
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand start" -l cert-file -d 'Identify secure connections to the proxy using this TLS certificate file' -r
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand start" -l key-file -d 'Identify secure connections to the proxy using this TLS key file' -r
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand start" -l trusted-ca-file -d 'Verify certificates of TLS-enabled secure proxy using this CA bundle (clients must present a certificate it signed)' -r
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand start" -l client-crl-file -d 'Proxy client certificate revocation list file' -r
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand start" -l self-signed-cert-validity -d 'The validity period of the proxy\'s self-signed certificate, in years' -r
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand start" -l listen-cipher-suites -d 'Comma-separated list of supported TLS cipher suites between client/proxy' -r
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand start" -l tls-min-version -d 'Minimum TLS version between client/proxy (TLS1.2 or TLS1.3)' -r
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand start" -l data-dir -d 'Data directory for persistent data (auto-TLS files)' -r -F
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand start" -l max-send-bytes -d 'Message send limits in bytes' -r
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand start" -l max-recv-bytes -d 'Message receive limits in bytes' -r
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand start" -l max-concurrent-streams -d 'Maximum concurrent streams that each client can open at a time' -r
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand start" -l endpoints-auto-sync-interval -d 'etcd endpoints auto sync interval, Go duration (0: disabled, the default): the proxy\'s endpoints follow the cluster\'s member list' -r
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand start" -l grpc-keepalive-min-time -d 'Minimum interval a client should wait before pinging the proxy (Go duration)' -r
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand start" -l grpc-keepalive-interval -d 'Frequency of the proxy\'s pings to a client connection (Go duration; 0: off)' -r
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand start" -l grpc-keepalive-timeout -d 'How long the proxy waits for a ping\'s answer before closing the connection' -r
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand start" -l experimental-leasing-prefix -d 'Leasing metadata prefix for disconnected linearized reads (accepted, not used)' -r
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand start" -l discovery-srv -d 'Domain name to query for SRV records describing cluster endpoints' -r
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand start" -l discovery-srv-name -d 'Service name to query when using DNS discovery' -r
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand start" -l insecure-discovery -d 'Accept insecure SRV records' -r
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand start" -l insecure-skip-tls-verify -d 'Skip authentication of etcd server TLS certificates (CAUTION: testing only)'
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand start" -l auto-tls -d 'Proxy TLS using generated certificates'
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand start" -l debug -d 'Enable debug-level logging for grpc-proxy'
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand start" -l enable-pprof -d 'Enable runtime profiling data via HTTP server (accepted, not served)'
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand start" -l experimental-serializable-ordering -d 'Ensure serializable reads have monotonically increasing store revisions (accepted)'
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand start" -s h -l help -d 'Print help'
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand help; and not __fish_seen_subcommand_from start help" -f -a "start" -d 'Start the gRPC proxy'
complete -c etcd-grpc-proxy -n "__fish_etcd_grpc_proxy_using_subcommand help; and not __fish_seen_subcommand_from start help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
