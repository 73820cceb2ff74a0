#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Packaging checks: `make install` layout (BPF=1 and the el8-style BPF=0),
# the unit under systemd-analyze verify/security, the default config,
# tmpfiles and logrotate files, the man page, one version everywhere,
# `make rpm` (file list, config files, scriptlets), rpmlint, and the
# in-place upgrade of a stand-in Go package (1.1.12) under `rpm --root`.
#   tests/packaging/run_packaging.sh          (about 30 s; root for tmpfiles, rpm --root)
# Ends with "N passed, N failed, N skipped" (tests/lib.sh); exit status 1
# if any failed. A check that cannot run is counted as skipped, with why.
# shellcheck disable=SC2317 # (the check functions run through check)
set -u

cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
TMP=$(mktemp -d /tmp/j4s-packaging.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
. tests/lib.sh

check() { # $1 = name, rest = command; ok if it succeeds
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$name"; else bad "$name" "$out"; fi
}
# skip_all WHY NAME...: the checks that cannot run, each counted as skipped.
skip_all() {
	local why=$1 name
	shift
	for name in "$@"; do skip "$name" "$why"; done
}
has() { command -v "$1" >/dev/null 2>&1; }

# mode owner-less: "path mode" pairs must exist with that mode
check_layout() { # $1 = destdir, then "relpath:type:mode" ...
	local root=$1 spec path type mode bad=""
	shift
	for spec in "$@"; do
		IFS=: read -r path type mode <<<"$spec"
		if [ "$type" = d ] && [ ! -d "$root$path" ]; then bad+="missing dir $path"$'\n'; continue; fi
		if [ "$type" = f ] && [ ! -f "$root$path" ]; then bad+="missing file $path"$'\n'; continue; fi
		[ "$(stat -c %a "$root$path")" = "$mode" ] || bad+="$path: mode $(stat -c %a "$root$path"), want $mode"$'\n'
	done
	[ -z "$bad" ] || { echo "$bad"; return 1; }
}

LAYOUT=(
	/usr/bin/ja4sentinel:f:755
	/usr/lib/systemd/system/ja4sentinel.service:f:644
	/usr/lib/tmpfiles.d/ja4sentinel.conf:f:644
	/etc/ja4sentinel/config.yml:f:644
	/etc/ja4sentinel/config.yml.default:f:644
	/etc/logrotate.d/ja4sentinel:f:644
	/usr/share/ja4sentinel/config.yml:f:644
	/usr/share/man/man8/ja4sentinel.8:f:644
	/usr/share/doc/ja4sentinel/README.md:f:644
	/usr/share/doc/ja4sentinel/NOTICE:f:644
	/usr/share/doc/ja4sentinel/operations.md:f:644
	/usr/share/doc/ja4sentinel/configuration.md:f:644
	/var/log/ja4sentinel:d:755
	/var/lib/ja4sentinel:d:755
	/run/logcorrelator:d:755
)

# ---- make install (the build's own BPF setting) ----
DEST=$TMP/dest
if out=$(make -s install DESTDIR="$DEST" 2>&1); then
	ok "make install DESTDIR"
	check "install layout and modes" check_layout "$DEST" "${LAYOUT[@]}"
	check "installed config is packaging/config/config.yml" \
		cmp packaging/config/config.yml "$DEST/etc/ja4sentinel/config.yml"
	check "installed unit: ExecStart" \
		grep -qx 'ExecStart=/usr/bin/ja4sentinel --config /etc/ja4sentinel/config.yml' \
		"$DEST/usr/lib/systemd/system/ja4sentinel.service"
	unit_keys() {
		local u=$DEST/usr/lib/systemd/system/ja4sentinel.service k missing=""
		# shellcheck disable=SC2016 # $MAINPID is literal unit text
		for k in 'Type=notify' 'ExecReload=/bin/kill -HUP $MAINPID' 'Restart=on-failure' 'RestartPreventExitStatus=2' \
			'WatchdogSec=30' 'TimeoutStopSec=5' 'NoNewPrivileges=yes' 'ProtectSystem=strict' \
			'ProtectHome=yes' 'PrivateTmp=yes' 'LimitMEMLOCK=infinity' 'MemoryMax=512M' 'MemoryDenyWriteExecute=yes' \
			'SystemCallArchitectures=native' 'LockPersonality=yes' \
			'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK AF_PACKET' \
			'ReadWritePaths=-/run/logcorrelator -/sys/fs/bpf' 'SystemCallFilter=@system-service bpf'; do
			grep -qxF "$k" "$u" || missing+="$k"$'\n'
		done
		[ -z "$missing" ] || { echo "missing in the unit:"; echo "$missing"; return 1; }
	}
	check "installed unit: service settings and hardening" unit_keys
	# noreplace: a second install keeps an edited configuration
	echo "# local edit" >>"$DEST/etc/ja4sentinel/config.yml"
	make -s install DESTDIR="$DEST" >/dev/null 2>&1
	check "make install keeps an edited /etc/ja4sentinel/config.yml" \
		grep -qx '# local edit' "$DEST/etc/ja4sentinel/config.yml"
	check "packaged config passes --check-config (installed binary)" \
		"$DEST/usr/bin/ja4sentinel" --check-config --config "$DEST/usr/share/ja4sentinel/config.yml"
	uninstall_ok() {
		make -s uninstall DESTDIR="$DEST" >/dev/null &&
			[ ! -e "$DEST/usr/bin/ja4sentinel" ] && [ ! -e "$DEST/usr/lib/systemd/system/ja4sentinel.service" ] &&
			[ -f "$DEST/etc/ja4sentinel/config.yml" ]
	}
	# uninstall is checked on a copy, the tree is used below
	cp -a "$DEST" "$TMP/dest-un"
	check "make uninstall removes the files, keeps the configuration" \
		env DEST="$TMP/dest-un" bash -c "$(declare -f uninstall_ok); uninstall_ok"
else
	bad "make install DESTDIR" "$out"
	skip_all "make install failed" "install layout and modes" "installed config is packaging/config/config.yml" \
		"installed unit: ExecStart" "installed unit: service settings and hardening" \
		"make install keeps an edited /etc/ja4sentinel/config.yml" \
		"packaged config passes --check-config (installed binary)" \
		"make uninstall removes the files, keeps the configuration"
fi

# ---- the unit under systemd-analyze ----
# verify wants ExecStart's binary to exist: a copy of the installed unit
# points at the binary under DESTDIR, and MANPATH lets it find
# Documentation=man:ja4sentinel(8) in the installed tree.
verify_unit() { # $1 = installed root
	local d=$TMP/verify-$RANDOM out
	mkdir -p "$d"
	sed "s|^ExecStart=/usr/bin/ja4sentinel|ExecStart=$1/usr/bin/ja4sentinel|" \
		"$1/usr/lib/systemd/system/ja4sentinel.service" >"$d/ja4sentinel.service"
	out=$(MANPATH=$1/usr/share/man systemd-analyze verify "$d/ja4sentinel.service" 2>&1) || {
		echo "$out"
		return 1
	}
	# verify returns 0 on some warnings: any line naming the unit is one
	if grep -q 'ja4sentinel' <<<"$out"; then echo "$out"; return 1; fi
}
exposure() { # overall exposure below 4.0 ("OK")
	local d=$TMP/sec out score
	mkdir -p "$d"
	sed "s|^ExecStart=/usr/bin/ja4sentinel|ExecStart=$DEST/usr/bin/ja4sentinel|" \
		"$DEST/usr/lib/systemd/system/ja4sentinel.service" >"$d/ja4sentinel.service"
	out=$(systemd-analyze security --offline=yes "$d/ja4sentinel.service" 2>&1)
	score=$(sed -n 's/.*Overall exposure level for ja4sentinel.service: \([0-9.]*\).*/\1/p' <<<"$out")
	echo "exposure $score"
	[ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s < 4.0) }'
}
if ! has systemd-analyze; then
	skip_all "systemd-analyze not installed" "systemd-analyze verify (installed unit)" "systemd-analyze security"
elif [ ! -x "$DEST/usr/bin/ja4sentinel" ]; then
	skip_all "nothing installed" "systemd-analyze verify (installed unit)" "systemd-analyze security"
else
	check "systemd-analyze verify (installed unit)" verify_unit "$DEST"
	if systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
		if out=$(exposure 2>&1); then ok "systemd-analyze security: $out"; else bad "systemd-analyze security" "$out"; fi
	else
		skip "systemd-analyze security" "systemd too old for --offline"
	fi
fi

# ---- el8-style build: BPF=0, pcap only, unit with CAP_NET_RAW alone ----
DEST0=$TMP/dest0
if out=$(make -s -j4 BPF=0 BUILD="$TMP/build0" install DESTDIR="$DEST0" 2>&1); then
	ok "make BPF=0 install (pcap-only build)"
	caps0() {
		local u=$DEST0/usr/lib/systemd/system/ja4sentinel.service
		grep -qx 'CapabilityBoundingSet=CAP_NET_RAW' "$u" && grep -qx 'AmbientCapabilities=CAP_NET_RAW' "$u" &&
			! grep -q '^[A-Za-z]*Capabilities=.*CAP_BPF\|^CapabilityBoundingSet=.*CAP_BPF' "$u"
	}
	check "BPF=0 unit keeps CAP_NET_RAW only" caps0
	if has systemd-analyze; then
		check "systemd-analyze verify (BPF=0 unit)" verify_unit "$DEST0"
	else
		skip "systemd-analyze verify (BPF=0 unit)" "systemd-analyze not installed"
	fi
	check "BPF=0 binary reads a capture" bash -c \
		"'$DEST0/usr/bin/ja4sentinel' --read tests/data/synthetic/tcp-two-connections.pcap 2>/dev/null | grep -q '\"ja4\":'"
else
	bad "make BPF=0 install (pcap-only build)" "$out"
	skip_all "make BPF=0 install failed" "BPF=0 unit keeps CAP_NET_RAW only" \
		"systemd-analyze verify (BPF=0 unit)" "BPF=0 binary reads a capture"
fi

# ---- tmpfiles.d ----
if ! has systemd-tmpfiles; then
	skip "tmpfiles creates /run/logcorrelator, leaves an existing one alone" "systemd-tmpfiles not installed"
elif [ "$(id -u)" -ne 0 ]; then
	skip "tmpfiles creates /run/logcorrelator, leaves an existing one alone" "needs root (creates root-owned directories under --root)"
else
	tmpfiles_ok() {
		local r=$TMP/tmpfiles-root
		mkdir -p "$r/run"
		systemd-tmpfiles --create --root="$r" - <packaging/tmpfiles/ja4sentinel.conf &&
			[ "$(stat -c %a "$r/run/logcorrelator")" = 755 ] &&
			chmod 0770 "$r/run/logcorrelator" &&
			systemd-tmpfiles --create --root="$r" - <packaging/tmpfiles/ja4sentinel.conf &&
			[ "$(stat -c %a "$r/run/logcorrelator")" = 770 ]
	}
	check "tmpfiles creates /run/logcorrelator, leaves an existing one alone" tmpfiles_ok
fi

# ---- logrotate ----
if ! has logrotate; then
	skip_all "logrotate not installed" "logrotate: rotates, creates 0640, one postrotate reload" \
		"logrotate: packaged file parses"
else
	logrotate_ok() {
		local d=$TMP/lr conf
		mkdir -p "$d/log"
		echo '{"ja4":"x"}' >"$d/log/ja4.log"
		echo '{"ja4":"y"}' >"$d/log/other.log"
		conf=$d/ja4sentinel.conf
		sed -e "s|/var/log/ja4sentinel/|$d/log/|" \
			-e "s|/usr/bin/systemctl reload ja4sentinel.service.*|echo hup >>$d/hup|" \
			-e "s|create 0640 root root|create 0640|" \
			packaging/logrotate/ja4sentinel >"$conf"
		logrotate -f -s "$d/state" "$conf" &&
			[ -f "$d/log/ja4.log.1" ] && [ -f "$d/log/ja4.log" ] && [ ! -s "$d/log/ja4.log" ] &&
			[ "$(stat -c %a "$d/log/ja4.log")" = 640 ] &&
			[ "$(wc -l <"$d/hup")" = 1 ] # sharedscripts: one reload for all files
	}
	check "logrotate: rotates, creates 0640, one postrotate reload" logrotate_ok
	check "logrotate: packaged file parses" logrotate -d -s "$TMP/lr-state" packaging/logrotate/ja4sentinel
fi

# ---- man page ----
if has groff; then
	check "man page: groff -man -ww, no warnings" make -s man
	# shellcheck disable=SC2016 # the inner script expands its own variables
	check "man page: sections" bash -c 'for s in NAME SYNOPSIS DESCRIPTION OPTIONS CONFIGURATION FILES SIGNALS "EXIT STATUS" ENVIRONMENT "SEE ALSO"; do grep -q "^\.SH \"\?$s\"\?\$" packaging/man/ja4sentinel.8 || { echo "no .SH $s"; exit 1; }; done'
else
	skip_all "groff not installed" "man page: groff -man -ww, no warnings" "man page: sections"
fi

# ---- one version everywhere: 2.x, above every Go 1.x (rpm -U replaces it) ----
versions() {
	local h s m b
	h=$(sed -n 's/^#define J4S_VERSION "\(.*\)"/\1/p' include/defaults.h)
	s=$(sed -n 's/^Version: *//p' packaging/rpm/ja4sentinel.spec)
	m=$(sed -n 's/^\.TH .* "ja4sentinel \([^"]*\)".*/\1/p' packaging/man/ja4sentinel.8)
	b=$("$BUILD/ja4sentinel" --version | sed -n 's/^ja4sentinel //p')
	echo "defaults.h $h, spec $s, man $m, --version $b"
	[ "$h" = "$s" ] && [ "$h" = "$m" ] && [ "$h" = "$b" ] && [ "${h%%.*}" -ge 2 ] &&
		grep -q "^\* .* - $h-1\$" packaging/rpm/ja4sentinel.spec
}
if out=$(versions 2>&1); then ok "one version: $out"; else bad "one version everywhere (>= 2, changelog entry)" "$out"; fi

# ---- make rpm, rpm -qlp, rpmlint ----
RPMDIR=$BUILD/rpm
if ! has rpmbuild; then
	skip_all "rpmbuild not installed (dnf install rpm-build; apt-get install rpm)" "make rpm" \
		"rpm -qlp: binary, unit, configs, logrotate, tmpfiles, dirs, docs, man" \
		"rpm --configfiles: config.yml and logrotate, noreplace" \
		"rpm scriptlets: systemd preset/disable/try-restart, tmpfiles" \
		"packaged /etc/ja4sentinel/config.yml passes --check-config" rpmlint
else
	if out=$(make -s rpm 2>&1); then
		ok "make rpm"
		RPM=""
		for f in "$RPMDIR"/RPMS/*/ja4sentinel-[0-9]*.rpm; do [ -f "$f" ] && RPM=$f; done
		rpm_files() {
			local l missing="" f
			l=$(rpm -qlp "$RPM")
			for f in /usr/bin/ja4sentinel /usr/lib/systemd/system/ja4sentinel.service \
				/etc/ja4sentinel/config.yml /etc/ja4sentinel/config.yml.default /etc/logrotate.d/ja4sentinel \
				/usr/share/ja4sentinel/config.yml /run/logcorrelator \
				/usr/lib/tmpfiles.d/ja4sentinel.conf /var/log/ja4sentinel /var/lib/ja4sentinel \
				/usr/share/doc/ja4sentinel/operations.md; do
				grep -qx "$f" <<<"$l" || missing+="$f"$'\n'
			done
			grep -q '^/usr/share/man/man8/ja4sentinel\.8' <<<"$l" || missing+="man page"$'\n'
			# %license: /usr/share/licenses/NAME on EL, NAME-VERSION on older rpm.
			grep -Eq '^/usr/share/licenses/ja4sentinel(-[0-9.]+)?/NOTICE$' <<<"$l" ||
				missing+="NOTICE (FoxIO License 1.1 of JA4T) as %license"$'\n'
			grep -q '^/usr/lib/bpf' <<<"$l" && missing+="(unexpected /usr/lib/bpf)"$'\n'
			[ -z "$missing" ] || { echo "$missing"; return 1; }
		}
		check "rpm -qlp: binary, unit, configs, logrotate, tmpfiles, dirs, docs, man" rpm_files
		check "rpm --configfiles: config.yml and logrotate, noreplace" bash -c \
			"rpm -qp --configfiles '$RPM' | sort | diff - <(printf '%s\n' /etc/ja4sentinel/config.yml /etc/ja4sentinel/config.yml.default /etc/logrotate.d/ja4sentinel) &&
			 [ \"\$(rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' '$RPM' | grep -c '^cn /etc/')\" = 3 ]"
		check "rpm scriptlets: systemd preset/disable/try-restart, tmpfiles" bash -c \
			"s=\$(rpm -qp --scripts '$RPM'); grep -q 'preset ja4sentinel.service' <<<\"\$s\" &&
			 grep -q 'disable --now ja4sentinel.service' <<<\"\$s\" && grep -q 'try-restart ja4sentinel.service' <<<\"\$s\" &&
			 grep -q 'systemd-tmpfiles --create' <<<\"\$s\""
		check "packaged /etc/ja4sentinel/config.yml passes --check-config" bash -c \
			"d=\$(mktemp -d '$TMP/x.XXXX'); cd \"\$d\" && rpm2cpio '$PWD/$RPM' | cpio -idm --quiet &&
			 ./usr/bin/ja4sentinel --check-config --config ./etc/ja4sentinel/config.yml"
		if has rpmlint; then
			out=$(make -s rpmlint 2>&1)
			line=$(grep -E '[0-9]+ errors?, [0-9]+ warnings?' <<<"$out" | tail -n1)
			if grep -qE '\b0 errors' <<<"$line"; then
				ok "rpmlint: $(sed 's/;.*//; s/^ *//' <<<"${line#*checked; }")"
				grep -E ': [WE]: ' <<<"$out" | sed 's/^/    /'
			else
				bad "rpmlint" "$out"
			fi
		else
			skip rpmlint "not installed (dnf install rpmlint; apt-get install rpmlint)"
		fi
	else
		bad "make rpm" "$(tail -n 20 <<<"$out")"
		skip_all "no RPM built" "rpm -qlp: binary, unit, configs, logrotate, tmpfiles, dirs, docs, man" \
			"rpm --configfiles: config.yml and logrotate, noreplace" \
			"rpm scriptlets: systemd preset/disable/try-restart, tmpfiles" \
			"packaged /etc/ja4sentinel/config.yml passes --check-config" rpmlint
	fi
fi

# ---- upgrade in place from the Go package (ja4sentinel 1.1.12) ----
# A stand-in for the Go RPM, built here: same name, version 1.1.12, the file
# list of its reference page (seed 000), a dummy binary and the Go unit. It
# is installed into an `rpm --root` tree, an operator configuration written
# for the Go daemon (tests/packaging/go-config.yml, every key it knew) goes
# in place, and our RPM upgrades it with `rpm -U --root`.
# --nodeps: the tree's rpm database holds only these packages, not systemd,
# libpcap, json-c, ... that both Require. Scriptlets do run (no --noscripts):
# the tree gets a /bin/sh (dash and its libraries), the new binary's
# libraries (the restart trigger runs --check-config in the tree), the few
# commands the scriptlets use (mkdir, touch, rm), and a systemctl and
# systemd-tmpfiles that write their arguments to /calls.log, systemctl also
# keeping the service's state in /active (is-active, stop, start, restart,
# try-restart), so the scriptlets' effect on upgrade is checked, not
# assumed.
# shellcheck disable=SC2016 # rpm macros and spec text, not shell
GO_STANDIN_SPEC='%global debug_package %{nil}
%bcond_with owncfg
%bcond_with stoppreun
Name:      ja4sentinel
Version:   1.1.12
Release:   1
Summary:   Stand-in for the Go ja4sentinel package (upgrade test)
License:   MIT
%description
Files and paths of the Go package, a dummy binary.
%install
mkdir -p %{buildroot}/usr/bin %{buildroot}/etc/ja4sentinel %{buildroot}/usr/share/ja4sentinel \
  %{buildroot}/usr/lib/systemd/system %{buildroot}/etc/logrotate.d %{buildroot}/var/lib/ja4sentinel \
  %{buildroot}/var/log/ja4sentinel %{buildroot}/var/run/logcorrelator
printf "#!/bin/sh\necho go-ja4sentinel-1.1.12\n" >%{buildroot}/usr/bin/ja4sentinel
printf "core:\n  interface: any\n  listen_ports: [443]\noutputs:\n  - type: stdout\n    enabled: true\n" \
  >%{buildroot}/etc/ja4sentinel/config.yml.default
cp %{buildroot}/etc/ja4sentinel/config.yml.default %{buildroot}/usr/share/ja4sentinel/config.yml
%{?with_owncfg:cp %{buildroot}/etc/ja4sentinel/config.yml.default %{buildroot}/etc/ja4sentinel/config.yml}
printf "[Unit]\nDescription=ja4sentinel TLS fingerprinting daemon\nAfter=network.target\n[Service]\nType=notify\nExecStart=/usr/bin/ja4sentinel -config /etc/ja4sentinel/config.yml\nExecReload=/bin/kill -HUP \$MAINPID\nRestart=on-failure\nWatchdogSec=30\nTimeoutStopSec=2\n[Install]\nWantedBy=multi-user.target\n" \
  >%{buildroot}/usr/lib/systemd/system/ja4sentinel.service
printf "/var/log/ja4sentinel/*.log {\n  daily\n}\n" >%{buildroot}/etc/logrotate.d/ja4sentinel
%if %{with stoppreun}
%preun
# Badly written: stops the service on upgrade too.
/usr/bin/systemctl stop ja4sentinel.service >/dev/null 2>&1 || :
%endif
%postun
# As %%systemd_postun: a reload, no restart (the worst case for us).
/usr/bin/systemctl daemon-reload >/dev/null 2>&1 || :
%files
%attr(0755,root,root) /usr/bin/ja4sentinel
%dir /etc/ja4sentinel
%config(noreplace) /etc/ja4sentinel/config.yml.default
%{?with_owncfg:%config(noreplace) /etc/ja4sentinel/config.yml}
/usr/share/ja4sentinel
/usr/lib/systemd/system/ja4sentinel.service
%config(noreplace) /etc/logrotate.d/ja4sentinel
%dir /var/lib/ja4sentinel
%dir /var/log/ja4sentinel
%dir /var/run/logcorrelator
'
# The Go package's paths (seed 000, "RPM Package Contents").
GO_PATHS=(/usr/bin/ja4sentinel /etc/ja4sentinel/config.yml.default /usr/share/ja4sentinel/config.yml
	/usr/lib/systemd/system/ja4sentinel.service /etc/logrotate.d/ja4sentinel /var/lib/ja4sentinel
	/var/log/ja4sentinel /var/run/logcorrelator)
UPGRADE_CHECKS=("build the Go stand-in RPMs (1.1.12)" "upgrade: 2.0.0 installed, 1.1.12 gone"
	"upgrade: operator config.yml byte-identical, ours as config.yml.rpmnew"
	"upgrade: every Go path present and owned by 2.0.0"
	"upgrade: new binary accepts the Go operator config"
	"upgrade: daemon-reload and restart after the Go package is removed"
	"upgrade: Go scriptlets that stop the service: running again"
	"upgrade: a stopped service stays stopped"
	"upgrade: Go package owning config.yml (noreplace), edited: kept"
	"upgrade: Go package owning config.yml (noreplace), unedited: replaced by ours"
	"upgrade: config rejected by 2.0.0: no restart, message names the key"
	"rpm -qp --scripts/--triggers: restart on upgrade")

# Debian's rpm warns on every install unless told it is meant.
RPM_DEB=""
rpm --help 2>&1 | grep -q -- --force-debian && RPM_DEB=--force-debian
# make_root DIR: an empty tree with a shell, the new binary's libraries and
# the recording systemctl, its rpm database initialised.
make_root() {
	local r=$1 lib
	mkdir -p "$r/usr/bin" "$r/usr/lib" "$r/usr/lib64" "$r/run" "$r/var"
	ln -s usr/bin "$r/bin"
	ln -s usr/lib "$r/lib"
	ln -s usr/lib64 "$r/lib64"
	ln -s ../run "$r/var/run" # as on EL: /var/run is /run
	# The scriptlets only write to /dev/null: a plain file does, and needs
	# no mknod (nor a /tmp mounted without nodev).
	mkdir -p "$r/dev" && : >"$r/dev/null"
	cp /usr/bin/dash "$r/usr/bin/sh"
	cp /usr/bin/mkdir /usr/bin/touch /usr/bin/rm "$r/usr/bin/"
	for lib in $(ldd /usr/bin/dash /usr/bin/mkdir /usr/bin/touch /usr/bin/rm "$NEWBIN" | grep -o '/[^ ]*'); do
		cp -L --parents "$lib" "$r/" 2>/dev/null || true
	done
	cat >"$r/usr/bin/systemctl" <<'SH'
#!/bin/sh
echo "systemctl $*" >>/calls.log
case "$1" in
is-active) [ -e /active ] ;;
stop) rm -f /active ;;
start | restart) : >/active ;;
try-restart) [ ! -e /active ] || : >/active ;;
esac
SH
	printf '#!/bin/sh\necho "systemd-tmpfiles $*" >>/calls.log\n' >"$r/usr/bin/systemd-tmpfiles"
	chmod 0755 "$r/usr/bin/systemctl" "$r/usr/bin/systemd-tmpfiles"
	rpm --root "$r" --initdb
}
# go_install ROOT GO_RPM [CONFIG]: the Go package, then the operator's
# file; the service is running.
go_install() {
	make_root "$1" && rpm --root "$1" -i --nodeps $RPM_DEB "$2" || return 1
	if [ -n "${3:-}" ]; then cp "$3" "$1/etc/ja4sentinel/config.yml"; fi
	: >"$1/calls.log"
	: >"$1/active"
}
upgrade() { # ROOT: our RPM over it; stderr kept in ROOT.err
	rpm --root "$1" -U --nodeps $RPM_DEB "$RPM" 2>"$1.err" || { cat "$1.err"; return 1; }
}

if [ -z "${RPM:-}" ] || [ ! -f "${RPM:-}" ] || ! has rpm2cpio; then
	skip_all "no RPM built (see make rpm above)" "${UPGRADE_CHECKS[@]}"
elif [ "$(id -u)" -ne 0 ]; then
	skip_all "rpm --root runs scriptlets in a chroot: needs root" "${UPGRADE_CHECKS[@]}"
else
	# The new binary, for its library list.
	mkdir -p "$TMP/newbin"
	(cd "$TMP/newbin" && rpm2cpio "$OLDPWD/$RPM" | cpio -idm --quiet ./usr/bin/ja4sentinel)
	NEWBIN=$TMP/newbin/usr/bin/ja4sentinel
	GO=$TMP/go
	mkdir -p "$GO/SPECS"
	printf '%s' "$GO_STANDIN_SPEC" >"$GO/SPECS/go.spec"
	gobuild() { # [--with owncfg]: the built RPM's path on stdout
		rpmbuild -bb --nodeps --define "_topdir $GO/$1" --load packaging/rpm/macros.host \
			"${@:2}" "$GO/SPECS/go.spec" >"$GO/$1.log" 2>&1 || { cat "$GO/$1.log" >&2; return 1; }
		ls "$GO/$1"/RPMS/*/ja4sentinel-1.1.12-1.*.rpm
	}
	if GO_RPM=$(gobuild plain) && GO_RPM_OWN=$(gobuild owncfg --with owncfg) &&
		GO_RPM_STOP=$(gobuild stoppreun --with stoppreun); then
		ok "build the Go stand-in RPMs (1.1.12)"
		R=$TMP/root-go
		if go_install "$R" "$GO_RPM" tests/packaging/go-config.yml && upgrade "$R"; then
			check "upgrade: 2.0.0 installed, 1.1.12 gone" bash -c \
				"[ \"\$(rpm --root '$R' -q ja4sentinel)\" = '$(rpm -qp "$RPM")' ] && ! rpm --root '$R' -q ja4sentinel-1.1.12"
			check "upgrade: operator config.yml byte-identical, ours as config.yml.rpmnew" bash -c \
				"cmp tests/packaging/go-config.yml '$R/etc/ja4sentinel/config.yml' &&
				 cmp packaging/config/config.yml '$R/etc/ja4sentinel/config.yml.rpmnew'"
			go_paths() {
				local p bad=""
				for p in "${GO_PATHS[@]}"; do
					[ -e "$R$p" ] || { bad+="missing $p"$'\n'; continue; }
					rpm --root "$R" -qf "$p" | grep -qx "$(rpm -qp "$RPM")" || bad+="$p: owner $(rpm --root "$R" -qf "$p")"$'\n'
				done
				[ -z "$bad" ] || { echo "$bad"; return 1; }
			}
			check "upgrade: every Go path present and owned by 2.0.0" go_paths
			check "upgrade: new binary accepts the Go operator config" \
				"$R/usr/bin/ja4sentinel" --check-config --config "$R/etc/ja4sentinel/config.yml"
			# Our %pre asks whether the service runs; the Go package's %postun
			# reloads; our trigger reloads and restarts after it; %posttrans
			# removes the note.
			restarted() { # ROOT
				local want
				want=$(printf '%s\n' 'systemctl is-active --quiet ja4sentinel.service' \
					'systemctl daemon-reload' 'systemctl restart ja4sentinel.service')
				[ "$(head -n 1 "$1/calls.log")" = "$(head -n 1 <<<"$want")" ] &&
					[ "$(tail -n 2 "$1/calls.log")" = "$(tail -n 2 <<<"$want")" ] && [ -e "$1/active" ] &&
					[ ! -e "$1/var/lib/rpm-state/ja4sentinel/was-active" ] || { cat "$1/calls.log"; return 1; }
			}
			check "upgrade: daemon-reload and restart after the Go package is removed" restarted "$R"
		else
			skip_all "install or upgrade in the rpm --root tree failed" \
				"upgrade: 2.0.0 installed, 1.1.12 gone" \
				"upgrade: operator config.yml byte-identical, ours as config.yml.rpmnew" \
				"upgrade: every Go path present and owned by 2.0.0" \
				"upgrade: new binary accepts the Go operator config" \
				"upgrade: daemon-reload and restart after the Go package is removed"
			bad "upgrade from the Go stand-in" "$(cat "$R.err" 2>/dev/null)"
		fi
		# Had the Go package owned config.yml as %config(noreplace) too: an
		# edited file is kept (ours goes to .rpmnew); one never edited is the
		# Go default and rpm replaces it with ours, as for any noreplace file.
		own_edited() {
			local r=$TMP/root-own-edited
			go_install "$r" "$GO_RPM_OWN" tests/packaging/go-config.yml && upgrade "$r" &&
				cmp tests/packaging/go-config.yml "$r/etc/ja4sentinel/config.yml" &&
				cmp packaging/config/config.yml "$r/etc/ja4sentinel/config.yml.rpmnew"
		}
		own_unedited() {
			local r=$TMP/root-own-unedited
			go_install "$r" "$GO_RPM_OWN" && upgrade "$r" &&
				cmp packaging/config/config.yml "$r/etc/ja4sentinel/config.yml" &&
				[ ! -e "$r/etc/ja4sentinel/config.yml.rpmnew" ]
		}
		stopped_by_go() {
			local r=$TMP/root-stop
			go_install "$r" "$GO_RPM_STOP" tests/packaging/go-config.yml && upgrade "$r" &&
				grep -qx 'systemctl stop ja4sentinel.service' "$r/calls.log" && restarted "$r"
		}
		check "upgrade: Go scriptlets that stop the service: running again" stopped_by_go
		stays_stopped() {
			local r=$TMP/root-stopped
			go_install "$r" "$GO_RPM" tests/packaging/go-config.yml && rm -f "$r/active" && upgrade "$r" &&
				[ ! -e "$r/active" ] && tail -n 1 "$r/calls.log" | grep -qx 'systemctl try-restart ja4sentinel.service' ||
				{ cat "$r/calls.log"; return 1; }
		}
		check "upgrade: a stopped service stays stopped" stays_stopped
		check "upgrade: Go package owning config.yml (noreplace), edited: kept" own_edited
		check "upgrade: Go package owning config.yml (noreplace), unedited: replaced by ours" own_unedited
		# A key the new daemon rejects: the trigger says so, and does not
		# restart the service into a failed unit.
		rejected() {
			local r=$TMP/root-bad
			printf 'core:\n  listen_ports: [443]\n  flow_timout_sec: 5\n' >"$TMP/bad-go.yml"
			go_install "$r" "$GO_RPM" "$TMP/bad-go.yml" && upgrade "$r" || return 1
			if ! grep -q 'config.yml:3: core.flow_timout_sec: unknown key' "$r.err" ||
				! grep -q 'service not restarted' "$r.err" || grep -q 'restart ja4sentinel' "$r/calls.log" ||
				! cmp "$TMP/bad-go.yml" "$r/etc/ja4sentinel/config.yml"; then
				cat "$r.err" "$r/calls.log"
				return 1
			fi
		}
		check "upgrade: config rejected by 2.0.0: no restart, message names the key" rejected
	else
		bad "build the Go stand-in RPMs (1.1.12)" "$(cat "$GO"/*.log 2>/dev/null | tail -n 20)"
		skip_all "no Go stand-in RPM" "${UPGRADE_CHECKS[@]:1:10}"
	fi
	check "rpm -qp --scripts/--triggers: restart on upgrade" bash -c \
		"rpm -qp --scripts '$RPM' | sed -n '/^postuninstall/,\$p' | grep -q 'try-restart ja4sentinel.service' &&
		 rpm -qp --triggers '$RPM' | grep -q '^triggerpostun scriptlet .* -- ja4sentinel < 2.0.0' &&
		 rpm -qp --triggers '$RPM' | grep -q 'systemctl restart ja4sentinel.service' &&
		 rpm -qp --scripts '$RPM' | sed -n '/^preinstall/,/^postinstall/p' | grep -q 'is-active --quiet ja4sentinel.service'"
fi

finish
