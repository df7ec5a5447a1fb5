/*
 * gen.c - the lifecycle of a configuration generation: build every piece of
 * run-time state a config needs before anything uses it (so a reload that
 * fails leaves the running generation alone), count the connections using it,
 * retire it when a newer one takes over, free it when the last one leaves.
 * Each piece is made and freed by the module that owns it.
 */
#include "gen.h"

#include <stdlib.h>

#include "acme.h"
#include "backend.h"
#include "config.h"
#include "errpage.h"
#include "file.h"
#include "policy.h"

static void gen_free(struct gen *g)
{
	policy_state_free(g->pstate);
	errpages_free(g->errpages);
	backends_free(&g->bk);
	free(g->lis);
	free(g->svc_requests);
	config_free(g->cfg);
	free(g);
}

struct gen *gen_new(struct loop *loop, struct config *cfg, const struct gen *old,
                    const char *jail)
{
	struct gen *g = calloc(1, sizeof(*g));

	if (!g) {
		config_free(cfg);
		return NULL;
	}
	g->cfg = cfg;
	g->refs = 1;
	g->lis = calloc(cfg->nlisteners + 1, sizeof(*g->lis));
	g->svc_requests = calloc(cfg->nservices + 1, sizeof(*g->svc_requests));
	if (!g->lis || !g->svc_requests) {
		gen_free(g);
		return NULL;
	}
	/* policy_state_new reads the BasicAuth password files: a bad one fails the load */
	if (backends_init(&g->bk, cfg, loop, jail) < 0 || policy_state_new(&g->pstate, cfg, old ? old->pstate : NULL, jail) < 0 ||
	    errpages_load(cfg, jail, &g->errpages) > 0) {
		gen_free(g);
		return NULL;
	}
	for (const struct cfg_listener *l = cfg->listeners; l; l = l->next)
		if (l->acme_dir)
			acme_check_dir(file_in_jail(jail, l->acme_dir), l->acme_file, l->acme_line);
	return g;
}

void gen_ref(struct gen *g)
{
	g->refs++;
}

void gen_unref(struct gen *g)
{
	if (--g->refs == 0)
		gen_free(g);
}

void gen_retire(struct gen *g)
{
	backends_retire(&g->bk);
}
