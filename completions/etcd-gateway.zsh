#compdef etcd-gateway

autoload -U is-at-least

_etcd-gateway() {
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
":: :_etcd-gateway_commands" \
"*::: :->etcd-gateway" \
&& ret=0
    case $state in
    (etcd-gateway)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcd-gateway-command-$line[1]:"
        case $line[1] in
            (start)
_arguments "${_arguments_options[@]}" : \
'*--endpoints=[Comma separated etcd cluster endpoints]:ENDPOINTS:_default' \
'--listen-addr=[Listen address]:LISTEN_ADDR:_default' \
'--retry-delay=[Duration of delay before retrying failed endpoints (Go duration)]:RETRY_DELAY:_default' \
'--discovery-srv=[DNS domain used to bootstrap initial cluster]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[Service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'--insecure-discovery=[Accept insecure SRV records]::INSECURE_DISCOVERY:_default' \
'--trusted-ca-file=[Path to the client server TLS CA file for verifying the discovered endpoints when discovery-srv is provided]:TRUSTED_CA_FILE:_default' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_etcd-gateway__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcd-gateway-help-command-$line[1]:"
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

(( $+functions[_etcd-gateway_commands] )) ||
_etcd-gateway_commands() {
    local commands; commands=(
'start:Start the gateway' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'etcd-gateway commands' commands "$@"
}
(( $+functions[_etcd-gateway__subcmd__help_commands] )) ||
_etcd-gateway__subcmd__help_commands() {
    local commands; commands=(
'start:Start the gateway' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'etcd-gateway help commands' commands "$@"
}
(( $+functions[_etcd-gateway__subcmd__help__subcmd__help_commands] )) ||
_etcd-gateway__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'etcd-gateway help help commands' commands "$@"
}
(( $+functions[_etcd-gateway__subcmd__help__subcmd__start_commands] )) ||
_etcd-gateway__subcmd__help__subcmd__start_commands() {
    local commands; commands=()
    _describe -t commands 'etcd-gateway help start commands' commands "$@"
}
(( $+functions[_etcd-gateway__subcmd__start_commands] )) ||
_etcd-gateway__subcmd__start_commands() {
    local commands; commands=()
    _describe -t commands 'etcd-gateway start commands' commands "$@"
}

if [ "$funcstack[1]" = "_etcd-gateway" ]; then
    _etcd-gateway "$@"
else
    compdef _etcd-gateway etcd-gateway
fi
