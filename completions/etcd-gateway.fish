# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_etcd_gateway_global_optspecs
    string join \n h/help
end

function __fish_etcd_gateway_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_etcd_gateway_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_etcd_gateway_using_subcommand
    set -l cmd (__fish_etcd_gateway_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c etcd-gateway -n "__fish_etcd_gateway_needs_command" -s h -l help -d 'Print help'
complete -c etcd-gateway -n "__fish_etcd_gateway_needs_command" -f -a "start" -d 'Start the gateway'
complete -c etcd-gateway -n "__fish_etcd_gateway_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c etcd-gateway -n "__fish_etcd_gateway_using_subcommand start" -l endpoints -d 'Comma separated etcd cluster endpoints' -r
complete -c etcd-gateway -n "__fish_etcd_gateway_using_subcommand start" -l listen-addr -d 'Listen address' -r
complete -c etcd-gateway -n "__fish_etcd_gateway_using_subcommand start" -l retry-delay -d 'Duration of delay before retrying failed endpoints (Go duration)' -r
complete -c etcd-gateway -n "__fish_etcd_gateway_using_subcommand start" -l discovery-srv -d 'DNS domain used to bootstrap initial cluster' -r
complete -c etcd-gateway -n "__fish_etcd_gateway_using_subcommand start" -l discovery-srv-name -d 'Service name to query when using DNS discovery' -r
complete -c etcd-gateway -n "__fish_etcd_gateway_using_subcommand start" -l insecure-discovery -d 'Accept insecure SRV records' -r
complete -c etcd-gateway -n "__fish_etcd_gateway_using_subcommand start" -l trusted-ca-file -d 'Path to the client server TLS CA file for verifying the discovered endpoints when discovery-srv is provided' -r
complete -c etcd-gateway -n "__fish_etcd_gateway_using_subcommand start" -s h -l help -d 'Print help'
complete -c etcd-gateway -n "__fish_etcd_gateway_using_subcommand help; and not __fish_seen_subcommand_from start help" -f -a "start" -d 'Start the gateway'
complete -c etcd-gateway -n "__fish_etcd_gateway_using_subcommand help; and not __fish_seen_subcommand_from start help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
