#!/bin/bash
# Chaperone installer for runner images, build machines and developer VMs (Debian/Ubuntu).
#
#   deploy/install.sh [--binary PATH] [--ca-cert FILE --ca-key FILE] [--replace-ca]
#                     [--root DIR] [--no-start]
#   deploy/install.sh --uninstall [--purge] [--root DIR]
#
# What it does, file by file, and what --uninstall guarantees: docs/deployment.md.
# Idempotent: running it twice leaves the same files, with the same bytes, as running it once.
# --uninstall removes everything it added and restores everything it changed; it keeps
# /var/lib/chaperone (the org CA and the records) and the chaperone user that owns them,
# unless --purge, after which the tree is exactly as it was before the first install.
#
# Every change is recorded in /var/lib/chaperone/install.manifest (root, 0600):
#   dir PATH            a directory this script created (removed on uninstall when empty)
#   file PATH           a file this script created
#   replaced PATH N     a file that existed and was overwritten; its original is install-backup/N
#   user NAME           the system user (and its group) was created by this script
#   java PATH N SHA     a Java keystore we imported into; original in install-backup/N (taken
#                       before the first update-ca-certificates, whose ca-certificates-java
#                       hook imports the CA too), SHA the keystore's sha256 right after our
#                       import ("-" until then)
# certifi bundles are changed between marker lines and found again by those markers.
set -eu -o pipefail

PROG=install.sh
SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/.." && pwd)

SERVICE_USER=chaperone
BIN=/usr/local/bin/chaperone
CONF_DIR=/etc/chaperone
CONF=$CONF_DIR/chaperone.yaml
RULES_DIR=$CONF_DIR/rules
STATE_DIR=/var/lib/chaperone
CA_DIR=$STATE_DIR/ca
MANIFEST=$STATE_DIR/install.manifest
BACKUP_DIR=$STATE_DIR/install-backup
UNIT=/etc/systemd/system/chaperone.service
TRUST_CRT=/usr/local/share/ca-certificates/chaperone-org-ca.crt
SYSTEM_BUNDLE=/etc/ssl/certs/ca-certificates.crt
PROFILE_D=/etc/profile.d/chaperone-ca.sh
ENV_D=/etc/environment.d/90-chaperone-ca.conf
MARK_BEGIN="# BEGIN chaperone org CA"
MARK_BEGIN_EOL="# BEGIN chaperone org CA (newline added)"
MARK_END="# END chaperone org CA"
JAVA_ALIAS=chaperone-org-ca
# the alias ca-certificates-java's update-ca-certificates hook gives our CA file
JAVA_HOOK_ALIAS=debian:chaperone-org-ca.pem
JAVA_STOREPASS=${CHAPERONE_JAVA_STOREPASS:-changeit}

MODE=install
PURGE=0
NO_START=0
REPLACE_CA=0
ROOT=""
BINARY=""
CA_CERT=""
CA_KEY=""
STEP="start"
STEPNO=0

usage() {
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
    cat <<EOF

Options:
  --binary PATH        the chaperone executable to install (default: ./chaperone next to this
                       script, else .build/release/chaperone, else .build/debug/chaperone)
  --ca-cert FILE       import this org CA certificate (PEM) instead of creating a CA
  --ca-key FILE        ... and its private key (PEM); both or neither
  --replace-ca         replace an installed CA that differs from --ca-cert (clients that trust
                       the old one stop working)
  --root DIR           install into the tree under DIR (an image being built); host commands
                       run with chroot DIR; the unit is enabled but never started
  --no-start           install and enable the unit but do not start it
  --uninstall          remove what install added (keeps $STATE_DIR and the $SERVICE_USER user)
  --purge              with --uninstall: also remove $STATE_DIR (the CA!) and the user
  -h, --help           this text
EOF
}

say()  { printf '%s\n' "$*"; }
step() { STEPNO=$((STEPNO + 1)); STEP=$*; printf '[%d] %s\n' "$STEPNO" "$*"; }
info() { printf '    %s\n' "$*"; }
warn() { printf '    WARNING: %s\n' "$*" >&2; }
die()  { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
PROC_MOUNTED=""
on_exit() {
    local rc=$?
    if [ -n "$PROC_MOUNTED" ]; then umount "$PROC_MOUNTED" 2>/dev/null || umount -l "$PROC_MOUNTED" 2>/dev/null || true; fi
    if [ $rc -ne 0 ]; then
        printf '%s: FAILED in step "%s" (exit %d); nothing after it was done\n' "$PROG" "$STEP" "$rc" >&2
    fi
}
trap on_exit EXIT

while [ $# -gt 0 ]; do
    case $1 in
        --binary)     [ $# -ge 2 ] || die "--binary needs a path"; BINARY=$2; shift 2 ;;
        --ca-cert)    [ $# -ge 2 ] || die "--ca-cert needs a file"; CA_CERT=$2; shift 2 ;;
        --ca-key)     [ $# -ge 2 ] || die "--ca-key needs a file"; CA_KEY=$2; shift 2 ;;
        --root)       [ $# -ge 2 ] || die "--root needs a directory"; ROOT=$2; shift 2 ;;
        --replace-ca) REPLACE_CA=1; shift ;;
        --no-start)   NO_START=1; shift ;;
        --uninstall)  MODE=uninstall; shift ;;
        --purge)      PURGE=1; shift ;;
        -h|--help)    usage; exit 0 ;;
        *)            die "unknown argument: $1 (see --help)" ;;
    esac
done

[ "$(id -u)" -eq 0 ] || die "must run as root"
if [ -n "$ROOT" ]; then
    [ -d "$ROOT" ] || die "--root $ROOT: not a directory"
    ROOT=$(cd "$ROOT" && pwd)
    [ "$ROOT" != / ] || ROOT=""
fi
# The Swift runtime (and Java) need /proc: mount it in the root for the duration of the run.
if [ -n "$ROOT" ] && [ -d "$ROOT/proc" ] && ! mountpoint -q "$ROOT/proc"; then
    mount -t proc proc "$ROOT/proc" || die "cannot mount /proc in $ROOT"
    PROC_MOUNTED=$ROOT/proc
fi
[ "$PURGE" -eq 0 ] || [ "$MODE" = uninstall ] || die "--purge only goes with --uninstall"
if [ -n "$CA_CERT$CA_KEY" ]; then
    [ -n "$CA_CERT" ] && [ -n "$CA_KEY" ] || die "--ca-cert and --ca-key go together"
    [ -r "$CA_CERT" ] || die "--ca-cert $CA_CERT: cannot read"
    [ -r "$CA_KEY" ] || die "--ca-key $CA_KEY: cannot read"
fi

# ----------------------------------------------------------------------------- helpers

# The host path of a target path.
R() { printf '%s%s' "$ROOT" "$1"; }

# Run a command in the target: chroot'ed with --root, as is otherwise.
in_target() {
    if [ -n "$ROOT" ]; then chroot "$ROOT" "$@"; else "$@"; fi
}

# Whether the target has a command (looked up inside the root with --root).
target_has() {
    in_target /bin/sh -c 'command -v "$1" >/dev/null 2>&1' sh "$1"
}

# Whether the machine we act on is running systemd (never true with --root: a tree being
# built is not the running system).
systemd_running() {
    [ -z "$ROOT" ] && [ -d /run/systemd/system ]
}

sha256() { sha256sum "$1" | cut -d' ' -f1; }

manifest_has() { [ -f "$(R "$MANIFEST")" ] && grep -qxF -- "$1" "$(R "$MANIFEST")"; }
manifest_add() {
    manifest_has "$1" && return 0
    printf '%s\n' "$1" >> "$(R "$MANIFEST")"
}
# Lines of one kind, e.g. `manifest_kind file`.
manifest_kind() {
    [ -f "$(R "$MANIFEST")" ] || return 0
    awk -v k="$1" '$1 == k { sub("^" k " ", ""); print }' "$(R "$MANIFEST")"
}

# ensure_dir PATH MODE OWNER: creates PATH and any missing parent, recording each one created.
# An existing directory keeps its mode and owner unless it is ours.
ensure_dir() {
    local path=$1 mode=$2 owner=$3 p="" part
    local IFS=/
    for part in $path; do
        [ -n "$part" ] || continue
        p="$p/$part"
        if [ ! -d "$(R "$p")" ]; then
            mkdir "$(R "$p")"
            chmod 0755 "$(R "$p")"
            manifest_add "dir $p"
            info "created directory $p"
        fi
    done
    if manifest_has "dir $path"; then
        chmod "$mode" "$(R "$path")"
        chown "$owner" "$(R "$path")"
    fi
}

# put_file SRC DST MODE: writes DST (a target path) from SRC (a host path), root-owned.
# A file that existed before the first install is backed up once and restored on uninstall.
put_file() {
    local src=$1 dst=$2 mode=$3 n
    if [ -e "$(R "$dst")" ] && ! manifest_has "file $dst" && [ -z "$(manifest_kind replaced | awk -v d="$dst" '$1 == d')" ]; then
        ensure_backup_dir
        n=$(( $(manifest_kind replaced | wc -l) + $(manifest_kind java | wc -l) + 1 ))
        cp -a "$(R "$dst")" "$(R "$BACKUP_DIR")/file-$n"
        manifest_add "replaced $dst file-$n"
        info "backed up the existing $dst"
    elif [ ! -e "$(R "$dst")" ]; then
        manifest_add "file $dst"
    fi
    if [ -f "$(R "$dst")" ] && cmp -s "$src" "$(R "$dst")"; then
        info "$dst unchanged"
    else
        cp "$src" "$(R "$dst").chaperone-new"
        mv -f "$(R "$dst").chaperone-new" "$(R "$dst")"
        info "wrote $dst"
    fi
    chown 0:0 "$(R "$dst")"
    chmod "$mode" "$(R "$dst")"
}

ensure_backup_dir() {
    if [ ! -d "$(R "$BACKUP_DIR")" ]; then
        mkdir -m 0700 "$(R "$BACKUP_DIR")"
        chown 0:0 "$(R "$BACKUP_DIR")"
    fi
}

# useradd/userdel rewrite the shadow suite's backup files (/etc/passwd- and friends) and may
# create /etc/.pwd.lock. Keep those exactly as they were, so that install + uninstall --purge
# leaves /etc byte-identical. Runs "$@" in between.
with_account_backups_kept() {
    local tmp f rc=0
    tmp=$(mktemp -d)
    for f in passwd- group- shadow- gshadow- .pwd.lock subuid- subgid-; do
        if [ -e "$(R "/etc/$f")" ]; then cp -a "$(R "/etc/$f")" "$tmp/$f"; fi
    done
    "$@" || rc=$?
    for f in passwd- group- shadow- gshadow- .pwd.lock subuid- subgid-; do
        if [ -e "$tmp/$f" ]; then
            cat "$tmp/$f" > "$(R "/etc/$f")"
        else
            rm -f "$(R "/etc/$f")"
        fi
    done
    rm -rf "$tmp"
    return $rc
}

# The certifi bundles of every Python on the target (regular files only: a cacert.pem that is
# a symlink already points to a system bundle).
certifi_bundles() {
    local d
    for d in "$(R /usr/lib)"/python3* "$(R /usr/local/lib)"/python3* "$(R /opt)"/*/lib/python3* \
             "$(R /root/.pyenv/versions)"/*/lib/python3*; do
        [ -d "$d" ] || continue
        find "$d" -type f -path '*/certifi/cacert.pem' 2>/dev/null
    done | sort -u
}

# Removes our marked block from a bundle, restoring its bytes exactly.
certifi_strip() {
    local f=$1 tmp noeol=0
    grep -qxF "$MARK_END" "$f" || return 1
    grep -qxF "$MARK_BEGIN_EOL" "$f" && noeol=1
    tmp=$(mktemp)
    awk -v b="$MARK_BEGIN" -v e="$MARK_END" '
        index($0, b) == 1 { skip = 1 }
        !skip { print }
        skip && $0 == e { skip = 0 }' "$f" > "$tmp"
    if [ "$noeol" -eq 1 ]; then truncate -s -1 "$tmp"; fi
    cat "$tmp" > "$f"
    rm -f "$tmp"
}

certifi_add() {
    local f=$1 pem=$2 begin=$MARK_BEGIN
    certifi_strip "$f" || true
    if [ -s "$f" ] && [ "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" != '\n' ]; then
        begin=$MARK_BEGIN_EOL
        printf '\n' >> "$f"
    fi
    { printf '%s\n' "$begin"; cat "$pem"; printf '%s\n' "$MARK_END"; } >> "$f"
}

# Java keystores on the target, deduplicated by their real path.
java_keystores() {
    local ks
    for ks in "$(R /etc/ssl/certs/java)"/cacerts "$(R /usr/lib/jvm)"/*/lib/security/cacerts \
              "$(R /opt)"/*/lib/security/cacerts "$(R /usr/local)"/*/lib/security/cacerts; do
        [ -e "$ks" ] || continue
        ks=${ks#"$ROOT"}
        in_target readlink -f "$ks"
    done | sort -u
}

# Backs up every Java keystore not backed up yet and records it as `java PATH N -`. Runs
# before the first update-ca-certificates: on Debian its ca-certificates-java hook imports the
# org CA into /etc/ssl/certs/java/cacerts itself, and the backup must be the keystore as it was
# before any import.
java_backup_keystores() {
    local ks n
    target_has keytool || return 0
    while IFS= read -r ks; do
        [ -n "$ks" ] || continue
        [ -z "$(manifest_kind java | awk -v k="$ks" '$1 == k')" ] || continue
        ensure_backup_dir
        n="java-$(( $(manifest_kind replaced | wc -l) + $(manifest_kind java | wc -l) + 1 ))"
        cp -a "$(R "$ks")" "$(R "$BACKUP_DIR")/$n"
        manifest_add "java $ks $n -"
        info "backed up $ks"
    done < <(java_keystores)
}

# The SHA-256 fingerprint of a certificate file (a target path), as keytool prints it.
java_cert_fp() {
    in_target keytool -printcert -file "$1" </dev/null | awk '$1 == "SHA256:" { print $2; exit }'
}

# "ALIAS<tab>SHA-256 fingerprint" for every entry of keystore KS (a target path).
java_entries() {
    in_target keytool -list -v -keystore "$1" -storepass "$JAVA_STOREPASS" </dev/null \
        | awk '/^Alias name: / { alias = substr($0, 13) }
               $1 == "SHA256:" && alias != "" { printf "%s\t%s\n", alias, $2; alias = "" }'
}

# The aliases in KS that are ours: our alias, the hook's alias for our file, and any other
# entry holding the certificate with fingerprint FP (empty: none).
java_our_aliases() {
    java_entries "$1" | awk -F '\t' -v a="$JAVA_ALIAS" -v h="$JAVA_HOOK_ALIAS" -v fp="$2" \
        '$1 == a || $1 == h || (fp != "" && $2 == fp) { print $1 }'
}

# keytool's output, indented, without its advice to use -cacerts for a keystore named cacerts
java_quiet() { sed '/use -cacerts option/d; s/^/    /'; }

java_delete_alias() {
    in_target keytool -delete -noprompt -alias "$2" -keystore "$1" -storepass "$JAVA_STOREPASS" </dev/null 2>&1 | java_quiet
}

# Removes the links in /etc/ssl/certs to the org CA's file: chaperone-org-ca.pem and the
# subject-hash link to it.
remove_trust_links() {
    local f
    for f in "$(R /etc/ssl/certs)"/*; do
        [ -L "$f" ] || continue
        case $(readlink "$f") in
            "$TRUST_CRT"|chaperone-org-ca.pem|/etc/ssl/certs/chaperone-org-ca.pem)
                rm -f "$f"; info "removed ${f#"$ROOT"}" ;;
        esac
    done
}

default_binary() {
    local c
    for c in "$SCRIPT_DIR/chaperone" "$REPO_DIR/.build/release/chaperone" "$REPO_DIR/.build/debug/chaperone"; do
        if [ -x "$c" ] && [ -f "$c" ]; then printf '%s' "$c"; return 0; fi
    done
    return 1
}

# ----------------------------------------------------------------------------- install

do_install() {
    local unit_src rules_src f uid created_user=0 pem tmp ks n sum fp entries cur

    say "Installing Chaperone${ROOT:+ into $ROOT}"

    step "checking inputs"
    if [ -z "$BINARY" ]; then
        BINARY=$(default_binary) || die "no chaperone binary: pass --binary PATH, or build one (swift build -c release)"
    fi
    [ -x "$BINARY" ] && [ -f "$BINARY" ] || die "--binary $BINARY: not an executable file"
    unit_src=$SCRIPT_DIR/chaperone.service
    [ -f "$unit_src" ] || die "missing $unit_src (run the script from the repository's deploy/)"
    rules_src=$REPO_DIR/Rules
    [ -d "$rules_src" ] || die "missing $rules_src"
    target_has useradd || die "useradd is missing${ROOT:+ in $ROOT} (Debian package: passwd)"
    target_has update-ca-certificates || die "update-ca-certificates is missing${ROOT:+ in $ROOT} (Debian package: ca-certificates)"
    info "binary: $BINARY"
    info "rules:  $rules_src"

    step "state directory $STATE_DIR (install records)"
    ensure_dir /var/lib 0755 0:0
    if [ ! -d "$(R "$STATE_DIR")" ]; then
        mkdir -m 0700 "$(R "$STATE_DIR")"
        : > "$(R "$MANIFEST")"
        chmod 0600 "$(R "$MANIFEST")"
        manifest_add "dir $STATE_DIR"
        info "created $STATE_DIR"
    elif [ ! -f "$(R "$MANIFEST")" ]; then
        : > "$(R "$MANIFEST")"
        chmod 0600 "$(R "$MANIFEST")"
        info "$STATE_DIR existed before; recording this install in $MANIFEST"
    else
        info "$STATE_DIR exists (earlier install kept)"
    fi

    step "system user $SERVICE_USER"
    if in_target getent passwd "$SERVICE_USER" >/dev/null; then
        info "user $SERVICE_USER exists"
    else
        with_account_backups_kept in_target useradd --system --user-group --no-log-init \
            --home-dir "$STATE_DIR" --no-create-home --shell /usr/sbin/nologin \
            --comment "Chaperone LLM traffic interceptor" "$SERVICE_USER"
        manifest_add "user $SERVICE_USER"
        created_user=1
        info "created system user $SERVICE_USER"
    fi
    uid=$(in_target id -u "$SERVICE_USER")
    info "uid $uid (the redirect exempts it; the daemon runs as it)"
    chown "$uid:$(in_target id -g "$SERVICE_USER")" "$(R "$STATE_DIR")"
    chmod 0700 "$(R "$STATE_DIR")"
    chown 0:0 "$(R "$MANIFEST")"

    step "binary $BIN"
    ensure_dir /usr/local/bin 0755 0:0
    put_file "$BINARY" "$BIN" 0755
    if ! in_target "$BIN" --help >/dev/null 2>&1; then
        die "$BIN does not run${ROOT:+ inside $ROOT} (missing shared libraries? try: ${ROOT:+chroot $ROOT }ldd $BIN)"
    fi

    step "configuration $CONF_DIR"
    ensure_dir "$CONF_DIR" 0755 0:0
    if [ -e "$(R "$CONF")" ]; then
        info "$CONF exists: kept as it is"
    else
        tmp=$(mktemp)
        cat > "$tmp" <<EOF
# Chaperone daemon configuration. Written once by deploy/install.sh; yours to edit
# (reinstalls never overwrite it). Every key is optional; see docs/architecture.md.
listen: {port: 15443, addresses: ["::"]}
state_dir: $STATE_DIR
ca_dir: $CA_DIR
rules_dir: $RULES_DIR
exempt_user: $SERVICE_USER
intercept_hosts: []
EOF
        put_file "$tmp" "$CONF" 0644
        rm -f "$tmp"
    fi
    ensure_dir "$RULES_DIR" 0755 0:0
    for f in "$rules_src"/*; do
        [ -f "$f" ] || continue
        put_file "$f" "$RULES_DIR/$(basename "$f")" 0644
    done

    step "org CA in $CA_DIR"
    if [ -f "$(R "$CA_DIR/ca.pem")" ] && [ -f "$(R "$CA_DIR/ca.key")" ]; then
        if [ -n "$CA_CERT" ] && ! cmp -s "$CA_CERT" "$(R "$CA_DIR/ca.pem")"; then
            [ "$REPLACE_CA" -eq 1 ] || die "a different CA is installed in $CA_DIR; pass --replace-ca to replace it (clients trusting the old CA stop working)"
            import_ca --force
        else
            info "CA exists: kept"
        fi
    elif [ -n "$CA_CERT" ]; then
        import_ca
    else
        in_target "$BIN" ca init --dir "$CA_DIR" --owner "$SERVICE_USER" | sed 's/^/    /'
    fi
    [ "$(stat -c '%a %u' "$(R "$CA_DIR/ca.key")" 2>/dev/null || true)" = "600 $uid" ] \
        || die "$CA_DIR/ca.key is not 0600 and owned by $SERVICE_USER"
    info "$CA_DIR/ca.key: 0600, owned by $SERVICE_USER"
    in_target "$BIN" ca show --config "$CONF" >/dev/null \
        || die "chaperone ca show --config $CONF failed: the configuration or the CA is invalid"
    info "$CONF is valid and names this CA (chaperone ca show)"

    step "system trust store"
    # the Java keystores first: update-ca-certificates' hooks may change them (step "Java keystores")
    java_backup_keystores
    ensure_dir /usr/local/share/ca-certificates 0755 0:0
    if [ -f "$(R "$TRUST_CRT")" ] && ! cmp -s "$(R "$CA_DIR/ca.pem")" "$(R "$TRUST_CRT")"; then
        # A replaced CA under the same file name: update-ca-certificates sees no certificate
        # added or removed and does not rehash, which would leave the old CA's hash link
        # pointing at the new file and none for the new CA. Dropping the links makes it an add.
        remove_trust_links
    fi
    put_file "$(R "$CA_DIR/ca.pem")" "$TRUST_CRT" 0644
    in_target update-ca-certificates 2>&1 | sed 's/^/    /'
    grep -qF "$(sed -n 2p "$(R "$TRUST_CRT")")" "$(R "$SYSTEM_BUNDLE")" \
        || die "the org CA is not in $SYSTEM_BUNDLE after update-ca-certificates"
    info "the org CA is in $SYSTEM_BUNDLE"

    step "environment for clients with their own trust (Python requests, Node)"
    tmp=$(mktemp)
    cat > "$tmp" <<EOF
# Installed by Chaperone's deploy/install.sh: clients trust the organisation's interception CA.
# Python's requests and ssl, curl, and Go read the system bundle (the org CA is in it);
# Node ships its own roots and needs NODE_EXTRA_CA_CERTS. Explicit settings are kept.
export SSL_CERT_FILE="\${SSL_CERT_FILE:-$SYSTEM_BUNDLE}"
export REQUESTS_CA_BUNDLE="\${REQUESTS_CA_BUNDLE:-$SYSTEM_BUNDLE}"
export NODE_EXTRA_CA_CERTS="\${NODE_EXTRA_CA_CERTS:-$TRUST_CRT}"
EOF
    ensure_dir /etc/profile.d 0755 0:0
    put_file "$tmp" "$PROFILE_D" 0644
    cat > "$tmp" <<EOF
# Installed by Chaperone's deploy/install.sh (systemd user sessions): trust the org CA.
SSL_CERT_FILE=$SYSTEM_BUNDLE
REQUESTS_CA_BUNDLE=$SYSTEM_BUNDLE
NODE_EXTRA_CA_CERTS=$TRUST_CRT
EOF
    ensure_dir /etc/environment.d 0755 0:0
    put_file "$tmp" "$ENV_D" 0644
    rm -f "$tmp"

    step "certifi bundles (Python packages that ship their own roots)"
    pem=$(R "$TRUST_CRT")
    n=0
    while IFS= read -r f; do
        [ -n "$f" ] || continue
        certifi_add "$f" "$pem"
        info "org CA block in ${f#"$ROOT"}"
        n=$((n + 1))
    done < <(certifi_bundles)
    [ "$n" -gt 0 ] || info "no certifi bundle found"

    step "Java keystores"
    if ! target_has keytool; then
        info "no keytool${ROOT:+ in $ROOT}: Java not installed, nothing to do"
    else
        java_backup_keystores
        fp=$(java_cert_fp "$TRUST_CRT")
        n=0
        while IFS= read -r ks; do
            [ -n "$ks" ] || continue
            n=$((n + 1))
            entries=$(java_entries "$ks")
            cur=$(printf '%s\n' "$entries" | awk -F '\t' -v a="$JAVA_ALIAS" '$1 == a { print $2 }')
            if [ "$cur" = "$fp" ]; then
                info "alias $JAVA_ALIAS in $ks: the org CA already (unchanged)"
            else
                [ -z "$cur" ] || java_delete_alias "$ks" "$JAVA_ALIAS"
                in_target keytool -importcert -noprompt -trustcacerts -alias "$JAVA_ALIAS" -file "$TRUST_CRT" \
                    -keystore "$ks" -storepass "$JAVA_STOREPASS" </dev/null 2>&1 | java_quiet
                info "alias $JAVA_ALIAS in $ks"
            fi
            # ca-certificates-java's hook imports a new CA file but never replaces an entry
            # (update-ca-certificates reports no change when only the file's content changed):
            # after --replace-ca its alias would go on trusting the old CA
            cur=$(printf '%s\n' "$entries" | awk -F '\t' -v a="$JAVA_HOOK_ALIAS" '$1 == a { print $2 }')
            if [ -n "$cur" ] && [ "$cur" != "$fp" ]; then
                java_delete_alias "$ks" "$JAVA_HOOK_ALIAS"
                info "removed alias $JAVA_HOOK_ALIAS from $ks (an earlier CA)"
            fi
            # the keystore's record (java_backup_keystores wrote it): its sha256 now, in place
            sum=$(sha256 "$(R "$ks")")
            awk -v k="$ks" -v sum="$sum" '$1 == "java" && $2 == k { $4 = sum } { print }' \
                "$(R "$MANIFEST")" > "$(R "$MANIFEST").new"
            cat "$(R "$MANIFEST").new" > "$(R "$MANIFEST")"; rm -f "$(R "$MANIFEST").new"
        done < <(java_keystores)
        [ "$n" -gt 0 ] || info "keytool present but no cacerts keystore found"
    fi

    step "systemd unit $UNIT"
    ensure_dir /etc/systemd/system 0755 0:0
    put_file "$unit_src" "$UNIT" 0644
    if ! target_has systemctl; then
        info "systemctl not found${ROOT:+ in $ROOT}: unit installed but not enabled (no systemd)"
    else
        if [ ! -d "$(R /etc/systemd/system/multi-user.target.wants)" ]; then
            manifest_add "dir /etc/systemd/system/multi-user.target.wants"
        fi
        if systemd_running; then
            systemctl daemon-reload
            info "systemctl daemon-reload"
        fi
        in_target systemctl enable chaperone.service 2>&1 | sed 's/^/    /'
        info "enabled (starts at boot)"
        if [ "$NO_START" -eq 1 ]; then
            info "not started (--no-start)"
        elif [ -n "$ROOT" ]; then
            info "not started: $ROOT is not the running system"
        elif ! systemd_running; then
            info "not started: systemd is not running on this machine (PID 1 is $(cat /proc/1/comm 2>/dev/null || echo unknown)); start it yourself: chaperone rules install && chaperone run, as user $SERVICE_USER"
        else
            systemctl restart chaperone.service
            info "started (ExecStartPre installed the redirect rules)"
            systemctl --no-pager --lines=0 status chaperone.service | sed 's/^/    /' || true
        fi
    fi

    say ""
    say "Chaperone installed${ROOT:+ into $ROOT}."
    say "  verify:  chaperone rules status --config $CONF"
    say "  records: $STATE_DIR/exchanges.jsonl"
    say "  new login shells read $PROFILE_D (NODE_EXTRA_CA_CERTS etc.)"
    say "  undo:    $0 --uninstall${ROOT:+ --root $ROOT}   (add --purge to delete the CA and records)"
    : "$created_user"
}

import_ca() {
    local tmpd
    # The files are copied into the (0700) state dir so that the target's chaperone can read
    # them with --root; the copies are removed right after.
    tmpd=$STATE_DIR/import.$$
    mkdir -m 0700 "$(R "$tmpd")"
    cp "$CA_CERT" "$(R "$tmpd/ca.pem")"
    cp "$CA_KEY" "$(R "$tmpd/ca.key")"
    if ! in_target "$BIN" ca import --cert "$tmpd/ca.pem" --key "$tmpd/ca.key" --dir "$CA_DIR" --owner "$SERVICE_USER" "$@" | sed 's/^/    /'; then
        rm -rf "$(R "$tmpd")"
        die "chaperone ca import failed"
    fi
    rm -rf "$(R "$tmpd")"
    info "imported the CA from $CA_CERT"
}

# ----------------------------------------------------------------------------- uninstall

do_uninstall() {
    local line path n f ks sum fp a aliases restored

    say "Uninstalling Chaperone${ROOT:+ from $ROOT}$([ "$PURGE" -eq 1 ] && printf ' (purge)')"
    if [ ! -f "$(R "$MANIFEST")" ]; then
        say "nothing to do: no $MANIFEST (Chaperone was not installed by this script)"
        return 0
    fi

    step "service and redirect rules"
    if target_has systemctl && [ -e "$(R "$UNIT")" ]; then
        if systemd_running; then
            systemctl stop chaperone.service 2>&1 | sed 's/^/    /' || true
            info "stopped"
        fi
        in_target systemctl disable chaperone.service 2>&1 | sed 's/^/    /' || true
        info "disabled"
    else
        info "no systemd unit enabled"
    fi
    if [ -n "$ROOT" ]; then
        info "netfilter rules belong to the running host: not touched with --root"
    elif [ -x "$BIN" ]; then
        "$BIN" rules uninstall --config "$CONF" 2>&1 | sed 's/^/    /' || warn "chaperone rules uninstall failed; check with: iptables-save | grep -i chaperone"
    fi

    step "Java keystores"
    [ -n "$(manifest_kind java)" ] || info "none was changed"
    fp=""
    if [ -n "$(manifest_kind java)" ] && target_has keytool && [ -f "$(R "$CA_DIR/ca.pem")" ]; then
        fp=$(java_cert_fp "$CA_DIR/ca.pem")
    fi
    while IFS= read -r line; do
        [ -n "$line" ] || continue
        set -- $line
        ks=$1 n=$2 sum=$3
        [ -e "$(R "$ks")" ] || continue
        restored=0
        if [ "$(sha256 "$(R "$ks")")" = "$sum" ] && [ -f "$(R "$BACKUP_DIR/$n")" ]; then
            cat "$(R "$BACKUP_DIR/$n")" > "$(R "$ks")"
            info "restored $ks (unchanged since our import)"
            restored=1
        fi
        if ! target_has keytool; then
            [ "$restored" -eq 1 ] || warn "$ks changed since our import and keytool is gone: remove aliases $JAVA_ALIAS and $JAVA_HOOK_ALIAS yourself"
            continue
        fi
        # what a restore left (a backup taken after the hook by an older install.sh) or a
        # keystore changed since our import still holds: our alias, the hook's alias (the hook
        # is never told the file went away), any other entry with the CA
        if ! aliases=$(java_our_aliases "$ks" "$fp"); then
            warn "cannot list $ks (store password?): remove aliases $JAVA_ALIAS and $JAVA_HOOK_ALIAS yourself"
            continue
        fi
        while IFS= read -r a; do
            [ -n "$a" ] || continue
            java_delete_alias "$ks" "$a"
            info "removed alias $a from $ks"
        done <<< "$aliases"
    done < <(manifest_kind java)

    step "certifi bundles"
    n=0
    while IFS= read -r f; do
        [ -n "$f" ] || continue
        if certifi_strip "$f"; then info "removed the org CA block from ${f#"$ROOT"}"; n=$((n + 1)); fi
    done < <(certifi_bundles)
    [ "$n" -gt 0 ] || info "no marked block found"

    step "files"
    # restore what we overwrote, remove what we created
    while IFS= read -r line; do
        [ -n "$line" ] || continue
        path=${line% *} n=${line##* }
        if [ -f "$(R "$BACKUP_DIR/$n")" ]; then
            cp -a "$(R "$BACKUP_DIR/$n")" "$(R "$path")"
            info "restored $path"
        fi
    done < <(manifest_kind replaced)
    while IFS= read -r path; do
        [ -n "$path" ] || continue
        case $path in "$STATE_DIR"|"$STATE_DIR"/*) continue ;; esac
        if [ -e "$(R "$path")" ] || [ -L "$(R "$path")" ]; then
            rm -f "$(R "$path")"
            info "removed $path"
        fi
    done < <(manifest_kind file)

    step "system trust store"
    # update-ca-certificates drops the org CA from the bundle but leaves its links in
    # /etc/ssl/certs (chaperone-org-ca.pem and the hash link to it) dangling: remove them.
    remove_trust_links
    if target_has update-ca-certificates; then
        in_target update-ca-certificates 2>&1 | sed 's/^/    /'
        if [ -f "$(R "$CA_DIR/ca.pem")" ] && grep -qF "$(sed -n 2p "$(R "$CA_DIR/ca.pem")")" "$(R "$SYSTEM_BUNDLE")"; then
            die "the org CA is still in $SYSTEM_BUNDLE"
        fi
        info "the org CA is no longer trusted"
    else
        warn "update-ca-certificates is gone: $SYSTEM_BUNDLE may still hold the org CA"
    fi
    if systemd_running; then systemctl daemon-reload; fi

    step "directories"
    while IFS= read -r path; do
        [ -n "$path" ] || continue
        case $path in "$STATE_DIR"|"$STATE_DIR"/*) continue ;; esac
        if [ -d "$(R "$path")" ]; then
            if rmdir "$(R "$path")" 2>/dev/null; then info "removed $path"; else info "kept $path (not empty)"; fi
        fi
    done < <(manifest_kind dir | sort -r)

    if [ "$PURGE" -eq 0 ]; then
        step "kept: $STATE_DIR (org CA, records, install manifest) and user $SERVICE_USER"
        info "remove them with: $0 --uninstall --purge${ROOT:+ --root $ROOT}"
        say "Chaperone uninstalled."
        return 0
    fi

    step "purge: user, state"
    local created_user=0 state_created=0 dirs_outside
    manifest_has "user $SERVICE_USER" && created_user=1
    manifest_has "dir $STATE_DIR" && state_created=1
    dirs_outside=$(manifest_kind dir | awk -v s="$STATE_DIR" '$0 != s' | sort -r)
    if [ "$state_created" -eq 1 ]; then
        rm -rf "$(R "$STATE_DIR")"
        info "removed $STATE_DIR (the org CA and the records)"
    else
        rm -rf "$(R "$CA_DIR")" "$(R "$MANIFEST")" "$(R "$BACKUP_DIR")" "$(R "$STATE_DIR/exchanges.jsonl")"
        info "removed our files from $STATE_DIR (it existed before the install: kept)"
    fi
    if [ "$created_user" -eq 1 ] && in_target getent passwd "$SERVICE_USER" >/dev/null; then
        with_account_backups_kept in_target userdel "$SERVICE_USER"
        info "removed user $SERVICE_USER"
    fi
    # parents of the state dir we created (e.g. /var/lib on a bare tree)
    while IFS= read -r path; do
        [ -n "$path" ] || continue
        [ -d "$(R "$path")" ] && rmdir "$(R "$path")" 2>/dev/null && info "removed $path"
    done <<< "$dirs_outside"
    say "Chaperone uninstalled and purged."
}

case $MODE in
    install) do_install ;;
    uninstall) do_uninstall ;;
esac
