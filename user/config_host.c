// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The configuration checked against the host, for --check-config and before
 * every start (one path, so a config that passes the check does not fail
 * the start on these): the interface exists, the file outputs can be
 * created. config.c reads the file (and compiles core.bpf_filter with
 * bpf_filter_check); this file knows nothing of YAML.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "capture.h"
#include "config.h"
#include "log.h"

/* "FILE:LINE: " of a key, or the environment variable that set it. */
static void where(const struct config *c, int line, const char *env, char *buf, size_t size)
{
	if (line)
		snprintf(buf, size, "%s:%d: ", c->file, line);
	else
		snprintf(buf, size, "%s%s", env ? env : "", env ? ": " : "");
}

/* A missing interface may appear later (a VLAN or bridge created after
 * us, a hotplugged card): a warning only. */
static void check_interface(const struct config *c)
{
	char at[CONFIG_PATH_MAX + 32];

	if (!strcmp(c->interface, "any") || if_nametoindex(c->interface))
		return;
	/* Named as the operator set it: the file's line, -i or the variable. */
	if (c->interface_line < 0)
		snprintf(at, sizeof(at), "-i: ");
	else
		where(c, c->interface_line, "environment JA4SENTINEL_INTERFACE", at, sizeof(at));
	log_warn("config",
		 "%s%sno interface \"%s\" on this host now: the start fails until it exists", at,
		 c->interface_line < 0 ? "" : "core.interface: ", c->interface);
}

/* The metrics file's directory: missing or not writable, the daemon runs
 * but never exports (it logs the first failure): a warning here, where the
 * operator looks before a restart (ProtectSystem=strict: a ReadWritePaths=
 * drop-in is needed outside the unit's writable paths). */
static void check_metrics_dir(const struct config *c)
{
	char dir[CONFIG_PATH_MAX], *slash;
	struct stat st;

	if (!c->metrics_textfile[0])
		return;
	snprintf(dir, sizeof(dir), "%s", c->metrics_textfile);
	slash = strrchr(dir, '/'); /* absolute: checked when read */
	if (!slash)
		return;
	slash[slash == dir] = '\0';
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		log_warn("config",
			 "%s: metrics.textfile: directory %s does not exist: no metrics will be "
			 "written until it does",
			 c->file, dir);
	else if (access(dir, W_OK | X_OK))
		log_warn("config", "%s: metrics.textfile: directory %s is not writable: %s",
			 c->file, dir, strerror(errno));
}

/*
 * A file output must be a regular file we can append to, or be creatable
 * in an existing, writable directory. The daemon owns this path: an error,
 * not a warning (run the check as the service's user).
 */
static int check_file(const struct config *c, uint32_t i, char *err, size_t errlen)
{
	const struct config_output *o = &c->outputs[i];
	char dir[CONFIG_PATH_MAX], at[CONFIG_PATH_MAX + 32], *slash;
	const char *why = NULL;
	struct stat st;

	if (!lstat(o->path, &st)) {
		if (S_ISLNK(st.st_mode))
			why = "is a symbolic link (refused: a regular file is needed)";
		else if (!S_ISREG(st.st_mode))
			why = "is not a regular file";
		else if (access(o->path, W_OK))
			why = strerror(errno);
	} else {
		snprintf(dir, sizeof(dir), "%s", o->path);
		slash = strrchr(dir, '/');
		if (slash == dir)
			slash[1] = '\0';
		else if (slash)
			*slash = '\0';
		else
			snprintf(dir, sizeof(dir), ".");
		if (stat(dir, &st))
			why = "its directory does not exist";
		else if (!S_ISDIR(st.st_mode))
			why = "its directory is not a directory";
		else if (access(dir, W_OK | X_OK))
			why = "its directory is not writable";
	}
	if (!why)
		return 0;
	if (!o->line) { /* not from the file: -w */
		snprintf(err, errlen, "-w %s: %s", o->path, why);
		return CONFIG_CHECK_HOST;
	}
	where(c, o->path_line ? o->path_line : o->line, NULL, at, sizeof(at));
	snprintf(err, errlen, "%soutputs[%u].params.path: %s: %s", at, i, o->path, why);
	return CONFIG_CHECK_HOST;
}

/*
 * tc and xdp run core.bpf_filter on the IP packets their program passes up:
 * a filter that needs the link layer can never run there. auto goes on to
 * pcap with it; an explicit tc or xdp would fail every start, which the
 * unit would retry for ever: a configuration error instead.
 */
static int check_filter_mode(const struct config *c, char *err, size_t errlen)
{
	char why[512], at[CONFIG_PATH_MAX + 48];

	if ((c->capture_mode != CAPTURE_TC && c->capture_mode != CAPTURE_XDP) || !c->bpf_filter ||
	    !c->bpf_filter[0] || !capture_filter_l3_check(c->bpf_filter, why, sizeof(why)))
		return 0;
	where(c, c->bpf_filter_line, "environment JA4SENTINEL_BPF_FILTER", at, sizeof(at));
	snprintf(err, errlen, "%s%s; capture_mode %s cannot run it (pcap or auto can)", at, why,
		 capture_mode_name(c->capture_mode));
	return CONFIG_CHECK_BAD;
}

/* tc or xdp asked of a build without them (BPF=0, el8): every start would
 * fail the same way, and the unit would retry for ever. */
static int check_mode_built(const struct config *c, char *err, size_t errlen)
{
	const char *m = capture_mode_name(c->capture_mode);

	if ((c->capture_mode != CAPTURE_TC && c->capture_mode != CAPTURE_XDP) ||
	    capture_bpf_built())
		return 0;
	snprintf(err, errlen,
		 "%s%score.capture_mode %s (or JA4SENTINEL_CAPTURE_MODE, --mode): this build has "
		 "no "
		 "eBPF support (built with BPF=0); use pcap or auto",
		 c->file, c->file[0] ? ": " : "", m);
	return CONFIG_CHECK_BAD;
}

int config_check_host(const struct config *c, bool live, char *err, size_t errlen)
{
	int rc;

	/* core.bpf_filter is compiled when the configuration is read
	 * (bpf_filter_check in config.c), so nothing of it is left here. */
	if (live) {
		check_interface(c);
		check_metrics_dir(c);
	}
	if (live &&
	    ((rc = check_mode_built(c, err, errlen)) || (rc = check_filter_mode(c, err, errlen))))
		return rc;
	for (uint32_t i = 0; i < c->n_outputs; i++)
		if (c->outputs[i].enabled && c->outputs[i].type == OUTPUT_FILE &&
		    (rc = check_file(c, i, err, errlen)))
			return rc;
	return 0;
}
