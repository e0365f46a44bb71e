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
'--namespace=[String to prefix to all keys for namespacing requests]:NAMESPACE:_default' \
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
