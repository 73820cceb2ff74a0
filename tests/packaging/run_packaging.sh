#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Packaging checks: `make install` layout (BPF=1 and the el8-style BPF=0),
# the unit under systemd-analyze verify/security, the default config,
# tmpfiles and logrotate files, the man page, `make rpm` (file list, config
# files, scriptlets) and rpmlint.
#   tests/packaging/run_packaging.sh          (about 30 s; root for tmpfiles)
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
	/etc/logrotate.d/ja4sentinel:f:644
	/usr/share/ja4sentinel/config.yml:f:644
	/usr/share/man/man8/ja4sentinel.8:f:644
	/usr/share/doc/ja4sentinel/README.md:f:644
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
		for k in 'Type=notify' 'ExecReload=/bin/kill -HUP $MAINPID' 'Restart=on-failure' \
			'WatchdogSec=30' 'TimeoutStopSec=5' 'NoNewPrivileges=yes' 'ProtectSystem=strict' \
			'ProtectHome=yes' 'PrivateTmp=yes' 'LimitMEMLOCK=infinity' 'MemoryMax=384M' 'MemoryDenyWriteExecute=yes' \
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
				/etc/ja4sentinel/config.yml /etc/logrotate.d/ja4sentinel /usr/share/ja4sentinel/config.yml \
				/usr/lib/tmpfiles.d/ja4sentinel.conf /var/log/ja4sentinel /var/lib/ja4sentinel \
				/usr/share/doc/ja4sentinel/operations.md; do
				grep -qx "$f" <<<"$l" || missing+="$f"$'\n'
			done
			grep -q '^/usr/share/man/man8/ja4sentinel\.8' <<<"$l" || missing+="man page"$'\n'
			grep -q '^/usr/lib/bpf' <<<"$l" && missing+="(unexpected /usr/lib/bpf)"$'\n'
			[ -z "$missing" ] || { echo "$missing"; return 1; }
		}
		check "rpm -qlp: binary, unit, configs, logrotate, tmpfiles, dirs, docs, man" rpm_files
		check "rpm --configfiles: config.yml and logrotate, noreplace" bash -c \
			"rpm -qp --configfiles '$RPM' | sort | diff - <(printf '%s\n' /etc/ja4sentinel/config.yml /etc/logrotate.d/ja4sentinel) &&
			 [ \"\$(rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' '$RPM' | grep -c '^cn /etc/')\" = 2 ]"
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

finish
