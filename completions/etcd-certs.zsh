#compdef etcd-certs

autoload -U is-at-least

_etcd-certs() {
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
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
":: :_etcd-certs_commands" \
"*::: :->etcd-certs" \
&& ret=0
    case $state in
    (etcd-certs)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcd-certs-command-$line[1]:"
        case $line[1] in
            (gencert)
_arguments "${_arguments_options[@]}" : \
'--ca=[CA certificate (PEM) that signs]:FILE:_default' \
'--ca-key=[CA private key (PEM\: EC, RSA or PKCS#8)]:FILE:_default' \
'--config=[Signing configuration JSON (signing.default, signing.profiles)]:FILE:_default' \
'--profile=[Signing profile in -config]:NAME:_default' \
'--hostname=[Comma-separated SANs, replacing the request'\''s hosts]:HOSTS:_default' \
'--bare=[Write NAME.pem, NAME-key.pem and NAME.csr (as \`| cfssljson -bare NAME\`) instead of printing JSON]:NAME:_default' \
'--initca[Make a self-signed CA (43800h unless ca.expiry)]' \
'-h[Print help]' \
'--help[Print help]' \
':CSRJSON -- Certificate request JSON file (cfssl format), or - for standard input:_default' \
&& ret=0
;;
(genkey)
_arguments "${_arguments_options[@]}" : \
'--bare=[Write NAME.pem, NAME-key.pem and NAME.csr (as \`| cfssljson -bare NAME\`) instead of printing JSON]:NAME:_default' \
'--initca[Make a self-signed CA]' \
'-h[Print help]' \
'--help[Print help]' \
':CSRJSON -- Certificate request JSON file (cfssl format), or - for standard input:_default' \
&& ret=0
;;
(print-defaults)
_arguments "${_arguments_options[@]}" : \
'-h[Print help]' \
'--help[Print help]' \
':KIND:_default' \
&& ret=0
;;
(version)
_arguments "${_arguments_options[@]}" : \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(certinfo)
_arguments "${_arguments_options[@]}" : \
'--cert=[Certificate (PEM or DER), or - for standard input]:FILE:_default' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(init)
_arguments "${_arguments_options[@]}" : \
'--hosts=[Comma-separated host names and IPs of the members]:H1,H2,...:_default' \
'--members=[Member names\: one peer certificate each]:N1,N2,...:_default' \
'--dir=[Output directory (created if missing)]:DIR:_default' \
'--client-cn=[Common name of the client certificate (the etcd user with --client-cert-auth)]:CN:_default' \
'--expiry=[Validity of the leaf certificates, as a Go duration]:DURATION:_default' \
'--key-algo=[Key algorithm\: ecdsa or rsa]:ALGO:_default' \
'--key-size=[Key size (0\: 256 for ecdsa, 2048 for rsa)]:BITS:_default' \
'--force[Overwrite existing files]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_etcd-certs__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcd-certs-help-command-$line[1]:"
        case $line[1] in
            (gencert)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(genkey)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(print-defaults)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(version)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(certinfo)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(init)
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

(( $+functions[_etcd-certs_commands] )) ||
_etcd-certs_commands() {
    local commands; commands=(
'gencert:Generate a key and a certificate\: a self-signed CA (-initca) or one signed by -ca/-ca-key' \
'genkey:Generate a key and a certificate request (with -initca\: a self-signed CA)' \
'print-defaults:Print cfssl 1.2.0'\''s default documents\: config (ca-config.json) or csr (ca-csr.json); list (or any other word) lists them' \
'version:Print the cfssl version this command line follows (as \`cfssl version\`)' \
'certinfo:Describe a certificate as cfssl'\''s certinfo JSON' \
'init:Write a CA plus server, peer and client certificates for a whole cluster' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'etcd-certs commands' commands "$@"
}
(( $+functions[_etcd-certs__subcmd__certinfo_commands] )) ||
_etcd-certs__subcmd__certinfo_commands() {
    local commands; commands=()
    _describe -t commands 'etcd-certs certinfo commands' commands "$@"
}
(( $+functions[_etcd-certs__subcmd__gencert_commands] )) ||
_etcd-certs__subcmd__gencert_commands() {
    local commands; commands=()
    _describe -t commands 'etcd-certs gencert commands' commands "$@"
}
(( $+functions[_etcd-certs__subcmd__genkey_commands] )) ||
_etcd-certs__subcmd__genkey_commands() {
    local commands; commands=()
    _describe -t commands 'etcd-certs genkey commands' commands "$@"
}
(( $+functions[_etcd-certs__subcmd__help_commands] )) ||
_etcd-certs__subcmd__help_commands() {
    local commands; commands=(
'gencert:Generate a key and a certificate\: a self-signed CA (-initca) or one signed by -ca/-ca-key' \
'genkey:Generate a key and a certificate request (with -initca\: a self-signed CA)' \
'print-defaults:Print cfssl 1.2.0'\''s default documents\: config (ca-config.json) or csr (ca-csr.json); list (or any other word) lists them' \
'version:Print the cfssl version this command line follows (as \`cfssl version\`)' \
'certinfo:Describe a certificate as cfssl'\''s certinfo JSON' \
'init:Write a CA plus server, peer and client certificates for a whole cluster' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'etcd-certs help commands' commands "$@"
}
(( $+functions[_etcd-certs__subcmd__help__subcmd__certinfo_commands] )) ||
_etcd-certs__subcmd__help__subcmd__certinfo_commands() {
    local commands; commands=()
    _describe -t commands 'etcd-certs help certinfo commands' commands "$@"
}
(( $+functions[_etcd-certs__subcmd__help__subcmd__gencert_commands] )) ||
_etcd-certs__subcmd__help__subcmd__gencert_commands() {
    local commands; commands=()
    _describe -t commands 'etcd-certs help gencert commands' commands "$@"
}
(( $+functions[_etcd-certs__subcmd__help__subcmd__genkey_commands] )) ||
_etcd-certs__subcmd__help__subcmd__genkey_commands() {
    local commands; commands=()
    _describe -t commands 'etcd-certs help genkey commands' commands "$@"
}
(( $+functions[_etcd-certs__subcmd__help__subcmd__help_commands] )) ||
_etcd-certs__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'etcd-certs help help commands' commands "$@"
}
(( $+functions[_etcd-certs__subcmd__help__subcmd__init_commands] )) ||
_etcd-certs__subcmd__help__subcmd__init_commands() {
    local commands; commands=()
    _describe -t commands 'etcd-certs help init commands' commands "$@"
}
(( $+functions[_etcd-certs__subcmd__help__subcmd__print-defaults_commands] )) ||
_etcd-certs__subcmd__help__subcmd__print-defaults_commands() {
    local commands; commands=()
    _describe -t commands 'etcd-certs help print-defaults commands' commands "$@"
}
(( $+functions[_etcd-certs__subcmd__help__subcmd__version_commands] )) ||
_etcd-certs__subcmd__help__subcmd__version_commands() {
    local commands; commands=()
    _describe -t commands 'etcd-certs help version commands' commands "$@"
}
(( $+functions[_etcd-certs__subcmd__init_commands] )) ||
_etcd-certs__subcmd__init_commands() {
    local commands; commands=()
    _describe -t commands 'etcd-certs init commands' commands "$@"
}
(( $+functions[_etcd-certs__subcmd__print-defaults_commands] )) ||
_etcd-certs__subcmd__print-defaults_commands() {
    local commands; commands=()
    _describe -t commands 'etcd-certs print-defaults commands' commands "$@"
}
(( $+functions[_etcd-certs__subcmd__version_commands] )) ||
_etcd-certs__subcmd__version_commands() {
    local commands; commands=()
    _describe -t commands 'etcd-certs version commands' commands "$@"
}

if [ "$funcstack[1]" = "_etcd-certs" ]; then
    _etcd-certs "$@"
else
    compdef _etcd-certs etcd-certs
fi
