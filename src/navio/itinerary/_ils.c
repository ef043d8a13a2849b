/*
 * The search loop of the itinerary solver (navio.itinerary.solver), compiled.
 *
 * solver.py owns the problem: it validates the instance, builds the arrays below, places the
 * locked visits (the initial state) and turns the best sequences back into schedules.  This
 * file runs the iterated local search of solver.py's docstring on those arrays: greedy
 * score^2/shift insertion with O(1) feasibility from wait/maxShift, intra-route 2-opt and
 * relocate, inter-route relocate, swap and 2-opt* evaluated in O(1) from waits and suffix
 * slack, replace moves, block and related-removal shakes, threshold accepting, restarts from
 * the episode's best, fresh episodes (in the run's end game: back to the overall best), and
 * (identical routes only) recombination of a pool of routes by set packing.  No global state: concurrent calls from threads are safe.  The Python code ran the same algorithm before it was
 * moved here (without 2-opt*, related removal and threshold accepting); compiled it is 10-25x
 * faster, so that the 1-second budget affords the thousands of iterations large instances need.
 *
 * Conventions (all arrays row-major, copied in at the call):
 *   T[n*n] travel, svc[n] service (0 for terminals), opn[m*n] / cls[m*n] the windows of each
 *   route (cls = -inf: closed), t0[m] / tmax[m] day bounds, cap[m] visit limits, eff[n] the
 *   effective score (must-visit bonus included), cost[n], budget (inf: none), cand[n] (1: may be
 *   visited), locked[n] (1: locked to its route, never moved), routes: the initial sequences
 *   (start node ... end node) and their locked-prefix lengths.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EPS 1e-9
/* subgradient steps per recombination (15 and 60 measured no better) */
#define LAG_STEPS 30
#define THR 1e-7

typedef struct {
    int n, m;
    const double *T, *svc, *opn, *cls, *t0, *tmax, *eff, *cost;
    const double *TT; /* the transpose: TT[j*n+i] = T[i][j], rows read contiguously */
    const int *cap;
    const unsigned char *cand, *locked;
    double budget;
    double *eff2;
    const int *by_eff; /* the candidates by score descending, then index ascending */
    int n_cand;
    /* an upper bound of each candidate's insertion ratio (eff2 over the least shift its
       insertion can cause anywhere) and the candidates by it, descending */
    const double *ub;
    const int *by_ub;
    int homogeneous; /* every route has the same windows, day bounds, cap and end node */
    /* parameters */
    int restart_after, fresh_after, shake_growth, replace_full, span;
    int recomb_every, pool_size;
    long long pack_nodes;
    int base_size; /* set after the first local search */
    double noise, related_share, related_frac, shake_frac, accept, force_share, worst_share;
    double fresh_noise; /* the insertion noise of a fresh episode's construction */
    double end_game;    /* the last share of the run (time or iterations): no new episodes */
    double inject_share; /* share of shakes injecting a pool route (recombination only) */
    double deadline; /* monotonic seconds; INFINITY when an iteration count binds */
    uint64_t rng[4];
} Ctx;

typedef struct {
    int len, fixed, idx, optlen;
    int *seq, *opt;
    double *arr, *start, *wait, *ms;
} Route;

typedef struct {
    Route *r;
    unsigned char *visited;
    double eff, cost;
} State;

/* ---------------------------------------------------------------- utilities */

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t next_u64(Ctx *c) { /* xoshiro256** */
    uint64_t *s = c->rng;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static void seed_rng(Ctx *c, uint64_t seed) { /* splitmix64 */
    for (int i = 0; i < 4; i++) {
        uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        c->rng[i] = z ^ (z >> 31);
    }
}

static double uniform(Ctx *c) { return (double)(next_u64(c) >> 11) * 0x1.0p-53; }

/* an integer in [lo, hi] */
static int randint(Ctx *c, int lo, int hi) {
    return lo + (int)(next_u64(c) % (uint64_t)(hi - lo + 1));
}

typedef struct {
    double key;
    int idx;
} Keyed;

/* key descending, then index ascending (qsort has no context argument: the key travels along) */
static int keyed_desc(const void *a, const void *b) {
    const Keyed *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? 1 : -1;
    return x->idx - y->idx;
}

/* the candidates j (cand[j] set) by key[j] descending, then index ascending, into out; returns
   how many (scratch: n entries) */
static int candidates_by(const double *key, const unsigned char *cand, int n, Keyed *scratch,
                         int *out) {
    int count = 0;
    for (int j = 0; j < n; j++)
        if (cand[j]) scratch[count++] = (Keyed){key[j], j};
    qsort(scratch, (size_t)count, sizeof(Keyed), keyed_desc);
    for (int t = 0; t < count; t++) out[t] = scratch[t].idx;
    return count;
}

#define TR(c, a, b) ((c)->T[(size_t)(a) * (size_t)(c)->n + (size_t)(b)])

/* ---------------------------------------------------------------- routes and states */

static int route_alloc(Route *r, int n) {
    size_t cap = (size_t)n + 2;
    r->seq = malloc(cap * sizeof(int));
    r->opt = malloc(cap * sizeof(int));
    r->arr = malloc(cap * sizeof(double));
    r->start = malloc(cap * sizeof(double));
    r->wait = malloc(cap * sizeof(double));
    r->ms = malloc(cap * sizeof(double));
    r->optlen = -1;
    return r->seq && r->opt && r->arr && r->start && r->wait && r->ms;
}

static void route_free(Route *r) {
    free(r->seq);
    free(r->opt);
    free(r->arr);
    free(r->start);
    free(r->wait);
    free(r->ms);
}

static void route_copy(Route *dst, const Route *src) {
    size_t k = (size_t)src->len;
    dst->len = src->len;
    dst->fixed = src->fixed;
    dst->idx = src->idx;
    dst->optlen = src->optlen;
    memcpy(dst->seq, src->seq, k * sizeof(int));
    if (src->optlen >= 0) memcpy(dst->opt, src->opt, (size_t)src->optlen * sizeof(int));
    memcpy(dst->arr, src->arr, k * sizeof(double));
    memcpy(dst->start, src->start, k * sizeof(double));
    memcpy(dst->wait, src->wait, k * sizeof(double));
    memcpy(dst->ms, src->ms, k * sizeof(double));
}

static int state_alloc(State *s, const Ctx *c) {
    s->r = calloc((size_t)c->m, sizeof(Route));
    s->visited = malloc((size_t)c->n);
    if (!s->r || !s->visited) return 0;
    for (int i = 0; i < c->m; i++)
        if (!route_alloc(&s->r[i], c->n)) return 0;
    return 1;
}

static void state_free(State *s, const Ctx *c) {
    if (s->r)
        for (int i = 0; i < c->m; i++) route_free(&s->r[i]);
    free(s->r);
    free(s->visited);
    s->r = NULL;
    s->visited = NULL;
}

static void state_copy(State *dst, const State *src, const Ctx *c) {
    for (int i = 0; i < c->m; i++) route_copy(&dst->r[i], &src->r[i]);
    memcpy(dst->visited, src->visited, (size_t)c->n);
    dst->eff = src->eff;
    dst->cost = src->cost;
}

static void update(const Ctx *c, Route *r) {
    const double *opn = c->opn + (size_t)r->idx * c->n, *cls = c->cls + (size_t)r->idx * c->n;
    int size = r->len;
    double t = c->t0[r->idx];
    r->arr[0] = r->start[0] = t;
    r->wait[0] = 0.0;
    int prev = r->seq[0];
    for (int k = 1; k < size; k++) {
        int node = r->seq[k];
        double a = t + c->svc[prev] + TR(c, prev, node);
        double s = (k == size - 1 || a > opn[node]) ? a : opn[node];
        r->arr[k] = a;
        r->start[k] = s;
        r->wait[k] = s - a;
        t = s;
        prev = node;
    }
    r->ms[size - 1] = c->tmax[r->idx] - r->arr[size - 1];
    for (int k = size - 2; k > 0; k--) {
        double x = cls[r->seq[k]] - r->start[k], y = r->wait[k + 1] + r->ms[k + 1];
        r->ms[k] = x < y ? x : y;
    }
    r->ms[0] = size > 1 ? r->wait[1] + r->ms[1] : 0.0;
}

static double duration(const Route *r) { return r->arr[r->len - 1] - r->start[0]; }

/* return time of seq as route ri, or inf if it breaks a window, the deadline or the cap */
static double route_end(const Ctx *c, int ri, const int *seq, int len) {
    if (len - 2 > c->cap[ri]) return INFINITY;
    const double *opn = c->opn + (size_t)ri * c->n, *cls = c->cls + (size_t)ri * c->n;
    double t = c->t0[ri];
    int prev = seq[0];
    for (int k = 1; k < len - 1; k++) {
        int node = seq[k];
        double a = t + c->svc[prev] + TR(c, prev, node);
        if (a > cls[node] + EPS) return INFINITY;
        t = a > opn[node] ? a : opn[node];
        prev = node;
    }
    double end = t + c->svc[prev] + TR(c, prev, seq[len - 1]);
    return end <= c->tmax[ri] + EPS ? end : INFINITY;
}

/* (eff, -duration) rounded like solver.py's _State.key, compared lexicographically */
static int better(const State *a, const State *b, const Ctx *c) {
    double ea = round(a->eff * 1e6), eb = round(b->eff * 1e6);
    if (ea != eb) return ea > eb;
    double da = 0, db = 0;
    for (int i = 0; i < c->m; i++) {
        da += duration(&a->r[i]);
        db += duration(&b->r[i]);
    }
    return round(da * 1e6) < round(db * 1e6);
}

static void insert_at(Route *r, int pos, int node) { /* node becomes seq[pos] */
    memmove(r->seq + pos + 1, r->seq + pos, (size_t)(r->len - pos) * sizeof(int));
    r->seq[pos] = node;
    r->len++;
}

static void remove_at(Route *r, int pos) {
    memmove(r->seq + pos, r->seq + pos + 1, (size_t)(r->len - pos - 1) * sizeof(int));
    r->len--;
}

/* ---------------------------------------------------------------- insertion */

/* the first position k in [lo, hi) whose latest start (start + ms) reaches t, or hi: latest starts
   never decrease along a route (travel and service are >= 0), so every position before it
   must start too early to follow anything that ends at t; the margin keeps rounding on the
   safe side */
static int first_latest(const Route *r, int lo, int hi, double t) {
    t -= 2 * EPS;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (r->start[mid] + r->ms[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* cheapest feasible insertion shift of node j into r (inf if none); *gap: insert after it */
static double insertion(const Ctx *c, const Route *r, int j, int *gap) {
    const double *opn = c->opn + (size_t)r->idx * c->n, *cls = c->cls + (size_t)r->idx * c->n;
    double best = INFINITY;
    double oj = opn[j], cj = cls[j] + EPS, sj = c->svc[j];
    const double *row = c->T + (size_t)j * c->n;  /* T[j][.] */
    const double *col = c->TT + (size_t)j * c->n; /* T[.][j] */
    /* j delays the next visit's arrival to oj + sj or later */
    for (int g = first_latest(r, r->fixed + 1, r->len, oj + sj) - 1; g < r->len - 1; g++) {
        /* starts never decrease along a route and travel and service are >= 0: once a visit
           starts after j closes, no later gap can reach j in time */
        if (r->start[g] > cj) break;
        int prev = r->seq[g], nxt = r->seq[g + 1];
        double a = r->start[g] + c->svc[prev] + col[prev];
        if (a > cj) continue;
        double st = a > oj ? a : oj;
        double shift = st + sj + row[nxt] - r->arr[g + 1];
        if (shift > r->wait[g + 1] + r->ms[g + 1] + EPS) continue;
        if (shift < EPS) shift = EPS;
        if (shift < best) {
            best = shift;
            *gap = g;
        }
    }
    return best;
}

static int available(const Ctx *c, const State *s, int j) {
    return c->cand[j] && !s->visited[j] && c->cost[j] <= c->budget - s->cost + EPS;
}

/* The insertion shift of node j into route i and its gap, evaluated on demand (shifts[i * n + j]
   is NAN until then).  A value depends only on the route's sequence: it stays valid while the
   route is unchanged.  After an insertion into a route only the nodes that fitted before are
   evaluated again: an insertion only delays visits and consumes slack, so under the triangle
   inequality a node that did not fit before does not fit after (where travel times break it,
   a fitting node may be missed until the route changes otherwise; nothing infeasible is ever
   inserted). */
typedef struct {
    double *shifts;
    int *gaps;
    int *seq, *len; /* each route's sequence when its values were last reset (len < 0: none) */
} Insertions;

/* forget the values of every route that changed since they were computed */
static void forget_changed(const Ctx *c, const State *s, Insertions *e) {
    int n = c->n;
    for (int i = 0; i < c->m; i++) {
        const Route *r = &s->r[i];
        int *seq = e->seq + (size_t)i * (n + 2);
        if (e->len[i] == r->len && memcmp(seq, r->seq, (size_t)r->len * sizeof(int)) == 0)
            continue;
        double *sh = e->shifts + (size_t)i * n;
        for (int j = 0; j < n; j++) sh[j] = NAN;
        memcpy(seq, r->seq, (size_t)r->len * sizeof(int));
        e->len[i] = r->len;
    }
}

/* greedy score^2/shift insertion until nothing fits; returns 1 if anything was inserted */
static int insert_phase(Ctx *c, State *s, double noise, Insertions *e) {
    int n = c->n, m = c->m, changed = 0;
    if (m == 0) return 0;
    double *shifts = e->shifts;
    int *gaps = e->gaps;
    forget_changed(c, s, e);
    double top = 1.0 + noise; /* the largest noise factor */
    for (;;) {
        double best = 0.0;
        int bi = -1, bj = -1;
        for (int i = 0; i < m; i++) {
            const Route *r = &s->r[i];
            if (r->len - 2 >= c->cap[r->idx]) continue;
            double *sh = shifts + (size_t)i * n;
            int *gp = gaps + (size_t)i * n;
            for (int t = 0; t < c->n_cand; t++) {
                int j = c->by_ub[t];
                /* nodes come by their ratio bound: none from here on can beat (or tie) the
                   best */
                if (c->ub[j] * top < best) break;
                if (!available(c, s, j)) continue;
                if (isnan(sh[j])) sh[j] = insertion(c, r, j, &gp[j]);
                if (!isfinite(sh[j])) continue;
                double ratio = c->eff2[j] / sh[j];
                if (noise > 0) ratio *= 1.0 - noise + 2.0 * noise * uniform(c);
                /* ties go to the first route, then the lowest node index, whatever the scan
                   order */
                if (ratio > best || (ratio == best && i == bi && j < bj)) {
                    best = ratio;
                    bi = i;
                    bj = j;
                }
            }
        }
        if (bi < 0) break;
        Route *r = &s->r[bi];
        insert_at(r, gaps[(size_t)bi * n + bj] + 1, bj);
        update(c, r);
        s->visited[bj] = 1;
        s->eff += c->eff[bj];
        s->cost += c->cost[bj];
        changed = 1;
        double *sh = shifts + (size_t)bi * n;
        for (int j = 0; j < n; j++)
            if (isfinite(sh[j])) sh[j] = NAN;
        memcpy(e->seq + (size_t)bi * (n + 2), r->seq, (size_t)r->len * sizeof(int));
        e->len[bi] = r->len;
    }
    return changed;
}

/* ---------------------------------------------------------------- intra-route moves */

static void suffix_slack(const Ctx *c, const Route *r, double *sm) {
    const double *opn = c->opn + (size_t)r->idx * c->n;
    int last = r->len - 1;
    double acc = INFINITY;
    sm[last] = INFINITY;
    for (int p = last - 1; p > 0; p--) {
        double v = r->start[p] - opn[r->seq[p]];
        if (v < acc) acc = v;
        sm[p] = acc;
    }
    sm[0] = INFINITY;
}

static int advances(const Route *r, const double *sm, int p, double a) {
    double d = r->arr[p] - a;
    return d > THR && (d < sm[p] ? d : sm[p]) > THR;
}

static void reverse(int *seq, int i, int k) {
    while (i < k) {
        int t = seq[i];
        seq[i++] = seq[k];
        seq[k--] = t;
    }
}

/* visit seq[from], seq[from + step], ..., seq[to] after leaving *prev at time t: the
   departure from the last of them (*prev becomes it), or INFINITY if a window is missed */
static double walk(const Ctx *c, const double *opn, const double *cls, const int *seq, int from,
                   int to, int step, int *prev, double t) {
    for (int q = from;; q += step) {
        int node = seq[q];
        double a = t + TR(c, *prev, node);
        if (a > cls[node] + EPS) return INFINITY;
        t = (a > opn[node] ? a : opn[node]) + c->svc[node];
        *prev = node;
        if (q == to) return t;
    }
}

/* an improving 2-opt (reverse seq[i..k]) or relocation of seq[i]; applied in place */
static int intra_move_at(const Ctx *c, Route *r, int i, const double *sm) {
    const double *opn = c->opn + (size_t)r->idx * c->n, *cls = c->cls + (size_t)r->idx * c->n;
    const double *svc = c->svc;
    int *seq = r->seq, lo = r->fixed + 1, last = r->len - 1, span = c->span;
    int p0 = seq[i - 1];
    double t0 = r->start[i - 1] + svc[p0];
    for (int k = i + 1; k < last && k < i + span; k++) {
        int prev = p0;
        double t = walk(c, opn, cls, seq, k, i, -1, &prev, t0);
        if (!isfinite(t)) continue;
        if (advances(r, sm, k + 1, t + TR(c, prev, seq[k + 1]))) {
            reverse(seq, i, k);
            return 1;
        }
    }
    int node = seq[i];
    double onode = opn[node], cnode = cls[node] + EPS, snode = svc[node];
    int kmin = i - span > lo ? i - span : lo;
    for (int k = kmin; k < i; k++) { /* seq[..k-1], node, seq[k..i-1], seq[i+1..] */
        int pk = seq[k - 1];
        double a = r->start[k - 1] + svc[pk] + TR(c, pk, node);
        if (a > cnode) continue;
        int prev = node;
        double t = walk(c, opn, cls, seq, k, i - 1, 1, &prev, (a > onode ? a : onode) + snode);
        if (!isfinite(t)) continue;
        if (advances(r, sm, i + 1, t + TR(c, prev, seq[i + 1]))) {
            memmove(seq + k + 1, seq + k, (size_t)(i - k) * sizeof(int));
            seq[k] = node;
            return 1;
        }
    }
    int pv = seq[i - 1];
    double t = r->start[i - 1] + svc[pv];
    int prev = pv;
    for (int k = i + 1; k < last && k < i + 1 + span; k++) { /* seq[..i-1], seq[i+1..k], node */
        int nd = seq[k];
        double a = t + TR(c, prev, nd);
        if (a > cls[nd] + EPS) break;
        t = (a > opn[nd] ? a : opn[nd]) + svc[nd];
        prev = nd;
        a = t + TR(c, nd, node);
        if (a > cnode) continue;
        double tn = (a > onode ? a : onode) + snode;
        if (advances(r, sm, k + 1, tn + TR(c, node, seq[k + 1]))) {
            memmove(seq + i, seq + i + 1, (size_t)(k - i) * sizeof(int));
            seq[k] = node;
            return 1;
        }
    }
    return 0;
}

static int two_opt_relocate(const Ctx *c, Route *r, double *sm) {
    int improved = 0, lo = r->fixed + 1, i = lo, since = 0;
    suffix_slack(c, r, sm);
    while (now() < c->deadline) {
        int last = r->len - 1;
        if (last - lo < 2 || since >= last - lo) break;
        if (i >= last) i = lo;
        if (!intra_move_at(c, r, i, sm)) {
            i++;
            since++;
            continue;
        }
        update(c, r);
        suffix_slack(c, r, sm);
        improved = 1;
        since = 0;
    }
    return improved;
}

/* ---------------------------------------------------------------- inter-route moves */

typedef struct {
    double *slack, *wsum, *sm;
} Arrays;

static void route_arrays(const Ctx *c, const Route *r, Arrays *x) {
    int len = r->len;
    double acc = 0;
    for (int k = len - 1; k >= 0; k--) {
        x->slack[k] = r->wait[k] + r->ms[k];
        acc += r->wait[k];
        x->wsum[k] = acc;
    }
    suffix_slack(c, r, x->sm);
}

/* change of the return time when the arrival at a position moves by delta */
static double end_change(double delta, double wsum, double sm) {
    if (delta > 0) return delta - wsum > 0 ? delta - wsum : 0.0;
    return -(-delta < sm ? -delta : sm);
}

static int movable_at(const Ctx *c, const Route *r, int k) { return !c->locked[r->seq[k]]; }

/* best (most negative) return-time change of moving ra.seq[i] into rb; *gap in rb; INFINITY
   if it cannot be below ``beat``: an insertion delays rb's return by >= 0 under the triangle
   inequality, so rb is not scanned when ra's own change does not beat it */
static double relocate_into(const Ctx *c, const Route *ra, const Arrays *xa, int i,
                            const Route *rb, const Arrays *xb, int *gap, double beat) {
    int u = ra->seq[i], pa = ra->seq[i - 1], na = ra->seq[i + 1];
    double d_a = ra->start[i - 1] + c->svc[pa] + TR(c, pa, na) - ra->arr[i + 1];
    if (d_a > xa->slack[i + 1] + EPS) return INFINITY;
    double ch_a = end_change(d_a, xa->wsum[i + 1], xa->sm[i + 1]);
    if (!(ch_a < beat)) return INFINITY;
    const double *opn = c->opn + (size_t)rb->idx * c->n, *cls = c->cls + (size_t)rb->idx * c->n;
    double best = INFINITY;
    /* u delays the next visit's arrival to its opening plus service or later; once a visit
       starts after u closes, no later gap reaches u in time */
    for (int k = first_latest(rb, rb->fixed + 1, rb->len, opn[u] + c->svc[u]) - 1;
         k < rb->len - 1; k++) {
        if (rb->start[k] > cls[u] + EPS) break;
        int prev = rb->seq[k], nxt = rb->seq[k + 1];
        double a = rb->start[k] + c->svc[prev] + TR(c, prev, u);
        if (a > cls[u] + EPS) continue;
        double st = a > opn[u] ? a : opn[u];
        double shift = st + c->svc[u] + TR(c, u, nxt) - rb->arr[k + 1];
        if (shift > xb->slack[k + 1] + EPS) continue;
        double ch = end_change(shift, xb->wsum[k + 1], xb->sm[k + 1]);
        if (ch < best) {
            best = ch;
            *gap = k;
        }
    }
    return ch_a + best;
}

/* return-time change of r when r.seq[i] is replaced by v */
static double swap_side(const Ctx *c, const Route *r, const Arrays *x, int i, int v) {
    const double *opn = c->opn + (size_t)r->idx * c->n, *cls = c->cls + (size_t)r->idx * c->n;
    int p = r->seq[i - 1], nx = r->seq[i + 1];
    double a = r->start[i - 1] + c->svc[p] + TR(c, p, v);
    if (a > cls[v] + EPS) return INFINITY;
    double st = a > opn[v] ? a : opn[v];
    double d = st + c->svc[v] + TR(c, v, nx) - r->arr[i + 1];
    if (d > x->slack[i + 1] + EPS) return INFINITY;
    return end_change(d, x->wsum[i + 1], x->sm[i + 1]);
}

/* the last position of r that must stay in r (its start, locked prefix or a locked visit) */
static int last_locked(const Ctx *c, const Route *r) {
    int k = r->len - 2;
    while (k > r->fixed && !c->locked[r->seq[k]]) k--;
    return k;
}

/* return time of ra.seq[..i] followed by rb's tail after k (homogeneous routes: rb's schedule,
   slack and waits describe the tail wherever it runs); inf if infeasible */
static double tail_end(const Ctx *c, const Route *ra, int i, const Route *rb, const Arrays *xb,
                       int k) {
    int u = ra->seq[i];
    double dep = ra->start[i] + c->svc[u];
    if (k == rb->len - 2) { /* empty tail: straight to the end */
        double end = dep + TR(c, u, rb->seq[rb->len - 1]);
        return end <= c->tmax[ra->idx] + EPS ? end : INFINITY;
    }
    double d = dep + TR(c, u, rb->seq[k + 1]) - rb->arr[k + 1];
    if (d > xb->slack[k + 1] + EPS) return INFINITY;
    return rb->arr[rb->len - 1] + end_change(d, xb->wsum[k + 1], xb->sm[k + 1]);
}

static uint64_t route_hash(const Route *r) {
    uint64_t h = 0x51ed270b27e1a4c3ULL ^ (uint64_t)r->len;
    for (int k = 0; k < r->len; k++) h = (h ^ (uint64_t)(unsigned)r->seq[k]) * 0x100000001b3ULL;
    return h ^ (h >> 29);
}

/* ``seen[a * m + b]`` holds (hash of a) ^ rotl(hash of b) from the pair's last scan that found
   nothing: the scan depends only on the two sequences, so it is not repeated for them */
static int inter_route(const Ctx *c, State *s, Arrays *xs, int *valid, int *buf_a, int *buf_b,
                       uint64_t *seen, uint64_t *hash) {
    int m = c->m, improved_any = 0, improved = 1;
    if (m < 2) return 0;
    for (int i = 0; i < m; i++) valid[i] = 0, hash[i] = route_hash(&s->r[i]);
    while (improved && now() < c->deadline) {
        improved = 0;
        for (int a = 0; a < m; a++) {
            for (int b = a + 1; b < m; b++) {
                if (now() >= c->deadline) return improved_any;
                uint64_t sig = (hash[a] ^ rotl(hash[b], 17)) | 1;
                if (seen[a * m + b] == sig) continue;
                Route *ra = &s->r[a], *rb = &s->r[b];
                if (!valid[a]) route_arrays(c, ra, &xs[a]), valid[a] = 1;
                if (!valid[b]) route_arrays(c, rb, &xs[b]), valid[b] = 1;
                double best = -THR;
                int kind = -1, mi = 0, mk = 0;
                int full_b = rb->len - 2 >= c->cap[rb->idx];
                int full_a = ra->len - 2 >= c->cap[ra->idx];
                for (int i = ra->fixed + 1; !full_b && i < ra->len - 1; i++) {
                    if (!movable_at(c, ra, i)) continue;
                    int g = 0;
                    double ch = relocate_into(c, ra, &xs[a], i, rb, &xs[b], &g, best);
                    if (ch < best) best = ch, kind = 0, mi = i, mk = g;
                }
                for (int i = rb->fixed + 1; !full_a && i < rb->len - 1; i++) {
                    if (!movable_at(c, rb, i)) continue;
                    int g = 0;
                    double ch = relocate_into(c, rb, &xs[b], i, ra, &xs[a], &g, best);
                    if (ch < best) best = ch, kind = 1, mi = i, mk = g;
                }
                const double *opn_b = c->opn + (size_t)rb->idx * c->n;
                const double *cls_b = c->cls + (size_t)rb->idx * c->n;
                for (int i = ra->fixed + 1; i < ra->len - 1; i++) {
                    if (!movable_at(c, ra, i)) continue;
                    /* ra[i] in rb's place k: the positions where it can be in time */
                    int u = ra->seq[i];
                    for (int k = first_latest(rb, rb->fixed + 2, rb->len, opn_b[u] + c->svc[u]) - 1;
                         k < rb->len - 1; k++) {
                        if (rb->start[k - 1] > cls_b[u] + EPS) break;
                        if (!movable_at(c, rb, k)) continue;
                        double ch = swap_side(c, ra, &xs[a], i, rb->seq[k]);
                        if (!(ch < INFINITY)) continue;
                        ch += swap_side(c, rb, &xs[b], k, ra->seq[i]);
                        if (ch < best) best = ch, kind = 2, mi = i, mk = k;
                    }
                }
                if (c->homogeneous) { /* 2-opt*: exchange the tails after ra[i] and rb[k] */
                    int ia0 = last_locked(c, ra), kb0 = last_locked(c, rb);
                    int na = ra->len - 2, nb = rb->len - 2, cap = c->cap[ra->idx];
                    double ret = ra->arr[ra->len - 1] + rb->arr[rb->len - 1];
                    for (int i = ia0; i <= na; i++) {
                        /* ra[..i] + rb's tail after k needs rb[k + 1] to start late enough,
                           rb[..k] + ra's tail after i needs ra[i + 1] to */
                        double dep_a = ra->start[i] + c->svc[ra->seq[i]];
                        double late_a = ra->start[i + 1] + ra->ms[i + 1] + 2 * EPS;
                        for (int k = first_latest(rb, kb0 + 1, nb + 2, dep_a) - 1; k <= nb; k++) {
                            if (rb->start[k] + c->svc[rb->seq[k]] > late_a) break;
                            if ((i == na && k == nb) || (i == 0 && k == 0)) continue;
                            if (i + (nb - k) > cap || k + (na - i) > cap) continue;
                            double e1 = tail_end(c, ra, i, rb, &xs[b], k);
                            if (!(e1 < INFINITY)) continue;
                            double ch = e1 + tail_end(c, rb, k, ra, &xs[a], i) - ret;
                            if (ch < best) best = ch, kind = 3, mi = i, mk = k;
                        }
                    }
                }
                if (kind < 0) {
                    seen[a * m + b] = sig;
                    continue;
                }
                int la = ra->len, lb = rb->len;
                memcpy(buf_a, ra->seq, (size_t)la * sizeof(int));
                memcpy(buf_b, rb->seq, (size_t)lb * sizeof(int));
                if (kind == 2) {
                    buf_a[mi] = rb->seq[mk];
                    buf_b[mk] = ra->seq[mi];
                } else if (kind == 3) { /* a[..mi] + b[mk+1..] and b[..mk] + a[mi+1..] */
                    int ta = la - 2 - mi, tb = lb - 2 - mk; /* tail lengths */
                    memcpy(buf_a + mi + 1, rb->seq + mk + 1, (size_t)tb * sizeof(int));
                    buf_a[mi + 1 + tb] = ra->seq[la - 1];
                    memcpy(buf_b + mk + 1, ra->seq + mi + 1, (size_t)ta * sizeof(int));
                    buf_b[mk + 1 + ta] = rb->seq[lb - 1];
                    la = mi + 2 + tb;
                    lb = mk + 2 + ta;
                } else {
                    int *src = kind == 0 ? buf_a : buf_b, *dst = kind == 0 ? buf_b : buf_a;
                    int *ls = kind == 0 ? &la : &lb, *ld = kind == 0 ? &lb : &la;
                    int node = src[mi];
                    memmove(src + mi, src + mi + 1, (size_t)(*ls - mi - 1) * sizeof(int));
                    (*ls)--;
                    memmove(dst + mk + 2, dst + mk + 1, (size_t)(*ld - mk - 1) * sizeof(int));
                    dst[mk + 1] = node;
                    (*ld)++;
                }
                double e1 = route_end(c, ra->idx, buf_a, la), e2 = route_end(c, rb->idx, buf_b, lb);
                if (e1 + e2 < ra->arr[ra->len - 1] + rb->arr[rb->len - 1] - THR) {
                    memcpy(ra->seq, buf_a, (size_t)la * sizeof(int));
                    memcpy(rb->seq, buf_b, (size_t)lb * sizeof(int));
                    ra->len = la;
                    rb->len = lb;
                    update(c, ra);
                    update(c, rb);
                    valid[a] = valid[b] = 0;
                    hash[a] = route_hash(ra);
                    hash[b] = route_hash(rb);
                    improved = improved_any = 1;
                } else {
                    seen[a * m + b] = sig;
                }
            }
        }
    }
    return improved_any;
}

/* ---------------------------------------------------------------- replace moves */

/* unvisited j scores more than visited out and the budget allows exchanging them */
static int may_replace(const Ctx *c, const State *s, int j, int out) {
    return c->cand[j] && !s->visited[j] && c->eff[j] > c->eff[out] + EPS &&
           c->cost[j] <= c->budget - s->cost + c->cost[out] + EPS;
}

/* the state's bookkeeping when visited ``out`` gives way to unvisited ``in`` */
static void exchange(const Ctx *c, State *s, int out, int in) {
    s->visited[out] = 0;
    s->visited[in] = 1;
    s->eff += c->eff[in] - c->eff[out];
    s->cost += c->cost[in] - c->cost[out];
}

static int replace_anywhere(const Ctx *c, State *s, Route *tmp) {
    for (int ri = 0; ri < c->m; ri++) {
        Route *r = &s->r[ri];
        for (int i = r->fixed + 1; i < r->len - 1; i++) {
            int out = r->seq[i];
            if (c->locked[out]) continue;
            int any = 0;
            for (int j = 0; j < c->n && !any; j++) any = may_replace(c, s, j, out);
            if (!any) continue;
            route_copy(tmp, r);
            remove_at(tmp, i);
            update(c, tmp);
            double bestv = -INFINITY;
            int bj = -1, bg = 0;
            for (int j = 0; j < c->n; j++) {
                if (!may_replace(c, s, j, out)) continue;
                if (tmp->len - 2 >= c->cap[tmp->idx]) break;
                int g = 0;
                if (!isfinite(insertion(c, tmp, j, &g))) continue;
                double gain = c->eff[j] - c->eff[out];
                if (gain > bestv) bestv = gain, bj = j, bg = g;
            }
            if (bj < 0) continue;
            insert_at(tmp, bg + 1, bj);
            update(c, tmp);
            route_copy(r, tmp);
            exchange(c, s, out, bj);
            return 1;
        }
    }
    return 0;
}

/* exchange one visited node for one unvisited node of higher score in its place: the first
   (position, node) pair of the largest gain.  Nodes are tried by score descending (index
   ascending among equals), so at each position the scan stops at the first feasible node or
   once no node can beat the best gain found */
static int replace(const Ctx *c, State *s, Arrays *x, Route *tmp, int *buf, int *free_nodes) {
    int n = c->n, nf = 0, visits = 0;
    for (int t = 0; t < c->n_cand; t++)
        if (!s->visited[c->by_eff[t]]) free_nodes[nf++] = c->by_eff[t];
    if (nf == 0) return 0;
    double room = c->budget - s->cost + EPS;
    for (int ri = 0; ri < c->m; ri++) {
        Route *r = &s->r[ri];
        const double *opn = c->opn + (size_t)r->idx * n, *cls = c->cls + (size_t)r->idx * n;
        double min_out = INFINITY;
        for (int i = r->fixed + 1; i < r->len - 1; i++)
            if (movable_at(c, r, i) && c->eff[r->seq[i]] < min_out) min_out = c->eff[r->seq[i]];
        if (!isfinite(min_out)) continue;
        route_arrays(c, r, x);
        double best = -INFINITY;
        int bi = -1, bj = -1;
        for (int i = r->fixed + 1; i < r->len - 1; i++) {
            if (!movable_at(c, r, i)) continue;
            int out = r->seq[i], p = r->seq[i - 1], nx = r->seq[i + 1];
            double dep = r->start[i - 1] + c->svc[p];
            for (int t = 0; t < nf; t++) {
                int j = free_nodes[t];
                double gain = c->eff[j] - c->eff[out];
                if (c->eff[j] <= min_out + EPS || gain <= EPS || gain <= best) break;
                if (c->cost[j] > room + c->cost[out]) continue;
                double a = dep + TR(c, p, j);
                if (a > cls[j] + EPS) continue;
                double st = a > opn[j] ? a : opn[j];
                double d = st + c->svc[j] + TR(c, j, nx) - r->arr[i + 1];
                if (d > x->slack[i + 1] + EPS) continue;
                best = gain, bi = i, bj = j;
                break;
            }
        }
        if (bi < 0) continue;
        memcpy(buf, r->seq, (size_t)r->len * sizeof(int));
        int old = buf[bi];
        buf[bi] = bj;
        if (!isfinite(route_end(c, r->idx, buf, r->len))) continue;
        r->seq[bi] = bj;
        update(c, r);
        exchange(c, s, old, bj);
        return 1;
    }
    for (int ri = 0; ri < c->m; ri++) visits += s->r[ri].len - 2;
    if (visits > c->replace_full) return 0;
    return replace_anywhere(c, s, tmp);
}

/* ---------------------------------------------------------------- route pool and recombination */

/* Every route of every local optimum goes into a pool, keyed by its set of visits (a 64-bit
 * hash of the visit bitset; a collision only drops a route).  When full, a new route replaces
 * the lowest-scored one if it scores more.  Recombination solves the set packing problem over
 * the pool: at most m routes, no visit twice, within the budget, maximum score, by depth-first
 * branch and bound over the routes sorted by their reduced scores under Lagrangian multipliers
 * of the node constraints (bound: the free nodes' multipliers plus the next routes' positive
 * reduced scores; see lagrange), with a node limit.  It is used only when any route may take
 * any slot (homogeneous routes, one start, no locked visits). */
typedef struct {
    int size, cap, words, maxlen, minat, tmask;
    int *len, *seq, *table, *pick, *best_pick;
    double *eff, *cost, *prefix;
    uint64_t *bits, *hash, *used, *scratch;
    Keyed *keyed;
    long long nodes, node_limit;
    double best, deadline;
    int nbest;
    /* Lagrangian multipliers of the packing's node constraints (kept from call to call), the
       best found in the current call, each pool route's sum of them, their total, the step
       direction and the routes of the relaxed solution */
    double *lam, *lam_best, *lamr, *grad, lam_total;
    int *top;
} Pool;

static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int pool_alloc(Pool *p, int cap, int n, int m, long long node_limit) {
    memset(p, 0, sizeof *p);
    int t = 1;
    while (t < 2 * cap) t <<= 1;
    p->cap = cap, p->words = (n + 63) / 64, p->maxlen = n + 2, p->minat = -1, p->tmask = t - 1;
    p->node_limit = node_limit;
    size_t k = (size_t)cap, w = (size_t)p->words;
    p->len = malloc(k * sizeof(int));
    p->seq = malloc(k * (size_t)p->maxlen * sizeof(int));
    p->table = malloc((size_t)t * sizeof(int));
    p->pick = malloc((size_t)(n + 1) * sizeof(int));
    p->best_pick = malloc((size_t)(n + 1) * sizeof(int));
    p->eff = malloc(k * sizeof(double));
    p->cost = malloc(k * sizeof(double));
    p->prefix = malloc((k + 1) * sizeof(double));
    p->bits = malloc(k * w * sizeof(uint64_t));
    p->hash = malloc(k * sizeof(uint64_t));
    p->used = malloc(w * sizeof(uint64_t));
    p->scratch = malloc(w * sizeof(uint64_t));
    p->keyed = malloc(k * sizeof(Keyed));
    p->lam = calloc((size_t)n, sizeof(double));
    p->lam_best = malloc((size_t)n * sizeof(double));
    p->grad = malloc((size_t)n * sizeof(double));
    p->lamr = malloc(k * sizeof(double));
    p->top = malloc((size_t)m * sizeof(int));
    if (!p->len || !p->seq || !p->table || !p->pick || !p->best_pick || !p->eff ||
        !p->cost || !p->prefix || !p->bits || !p->hash || !p->used || !p->scratch ||
        !p->keyed || !p->lam || !p->lam_best || !p->grad || !p->lamr || !p->top)
        return 0;
    for (int i = 0; i < t; i++) p->table[i] = -1;
    return 1;
}

static void pool_free(Pool *p) {
    free(p->len), free(p->seq), free(p->table), free(p->pick);
    free(p->best_pick), free(p->eff), free(p->cost), free(p->prefix), free(p->bits);
    free(p->hash), free(p->used), free(p->scratch), free(p->keyed);
    free(p->lam), free(p->lam_best), free(p->grad), free(p->lamr), free(p->top);
}

static int pool_find(const Pool *p, uint64_t h) {
    for (int i = (int)(h & (uint64_t)p->tmask);; i = (i + 1) & p->tmask) {
        int e = p->table[i];
        if (e < 0 || p->hash[e] == h) return e;
    }
}

static void pool_unlink(Pool *p, int idx) { /* linear probing deletion by backward shift */
    int i = (int)(p->hash[idx] & (uint64_t)p->tmask);
    while (p->table[i] != idx) i = (i + 1) & p->tmask;
    for (int j = (i + 1) & p->tmask; p->table[j] >= 0; j = (j + 1) & p->tmask) {
        int home = (int)(p->hash[p->table[j]] & (uint64_t)p->tmask);
        /* the entry at j may move to the hole at i unless its home lies cyclically in (i, j] */
        int stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            p->table[i] = p->table[j];
            i = j;
        }
    }
    p->table[i] = -1;
}

static void pool_add(const Ctx *c, Pool *p, const Route *r) {
    if (r->len <= 2) return;
    memset(p->scratch, 0, (size_t)p->words * sizeof(uint64_t));
    double eff = 0.0, cost = 0.0;
    for (int k = 1; k < r->len - 1; k++) {
        int v = r->seq[k];
        p->scratch[v >> 6] |= 1ULL << (v & 63);
        eff += c->eff[v];
        cost += c->cost[v];
    }
    uint64_t h = 0x8a5cd789635d2dffULL;
    for (int w = 0; w < p->words; w++) h = mix64(h ^ p->scratch[w]);
    if (pool_find(p, h) >= 0) return;
    int idx;
    if (p->size < p->cap) {
        idx = p->size++;
    } else {
        if (p->minat < 0) {
            p->minat = 0;
            for (int i = 1; i < p->size; i++)
                if (p->eff[i] < p->eff[p->minat]) p->minat = i;
        }
        if (eff <= p->eff[p->minat]) return;
        idx = p->minat;
        pool_unlink(p, idx);
        p->minat = -1;
    }
    p->len[idx] = r->len;
    memcpy(p->seq + (size_t)idx * (size_t)p->maxlen, r->seq, (size_t)r->len * sizeof(int));
    memcpy(p->bits + (size_t)idx * (size_t)p->words, p->scratch,
           (size_t)p->words * sizeof(uint64_t));
    p->eff[idx] = eff;
    p->cost[idx] = cost;
    p->hash[idx] = h;
    int i = (int)(h & (uint64_t)p->tmask);
    while (p->table[i] >= 0) i = (i + 1) & p->tmask;
    p->table[i] = idx;
}


static void pack(const Ctx *c, Pool *p, int pos, int depth, double eff, double cost, double lam) {
    if (++p->nodes > p->node_limit) return;
    if ((p->nodes & 255) == 0 && now() >= p->deadline) {
        p->nodes = p->node_limit + 1; /* out of time: stop like at the node limit */
        return;
    }
    if (eff > p->best + 1e-6) {
        p->best = eff;
        p->nbest = depth;
        memcpy(p->best_pick, p->pick, (size_t)depth * sizeof(int));
    }
    if (depth == c->m) return;
    int k = c->m - depth;
    /* the multipliers of the nodes still free, plus the k best reduced scores from i on */
    double free_lam = p->lam_total - lam;
    for (int i = pos; i < p->size; i++) {
        int hi = i + k < p->size ? i + k : p->size;
        if (eff + free_lam + p->prefix[hi] - p->prefix[i] <= p->best + 1e-6) return;
        int e = p->keyed[i].idx;
        if (cost + p->cost[e] > c->budget + EPS) continue;
        const uint64_t *b = p->bits + (size_t)e * (size_t)p->words;
        int clash = 0;
        for (int w = 0; w < p->words && !clash; w++) clash = (b[w] & p->used[w]) != 0;
        if (clash) continue;
        for (int w = 0; w < p->words; w++) p->used[w] |= b[w];
        p->pick[depth] = e;
        pack(c, p, i + 1, depth + 1, eff + p->eff[e], cost + p->cost[e], lam + p->lamr[e]);
        for (int w = 0; w < p->words; w++) p->used[w] &= ~b[w];
        if (p->nodes > p->node_limit) return;
    }
}

/* route r (holding no visit) takes pool route e: its sequence, schedule and visits */
static void put_route(const Ctx *c, State *s, Route *r, const Pool *p, int e) {
    r->len = p->len[e];
    memcpy(r->seq, p->seq + (size_t)e * (size_t)p->maxlen, (size_t)r->len * sizeof(int));
    r->optlen = -1;
    update(c, r);
    for (int k = 1; k < r->len - 1; k++) {
        int v = r->seq[k];
        s->visited[v] = 1;
        s->eff += c->eff[v];
        s->cost += c->cost[v];
    }
}

/* each pool route's sum of the multipliers p->lam over its visits, into p->lamr */
static void route_lams(const Ctx *c, Pool *p) {
    for (int e = 0; e < p->size; e++) {
        const int *seq = p->seq + (size_t)e * (size_t)p->maxlen;
        double acc = 0.0;
        for (int k = 1; k < p->len[e] - 1; k++) acc += p->lam[seq[k]];
        p->lamr[e] = acc;
    }
    p->lam_total = 0.0;
    for (int v = 0; v < c->n; v++) p->lam_total += p->lam[v];
}

/* The Lagrangian relaxation of the set packing: each node's "at most one route" constraint
 * moves into the objective with a multiplier lam[v] >= 0, so a route scores its reduced score
 * eff - (its nodes' lam) and the relaxed problem takes the m best positive ones; its value
 * L(lam) = sum(lam) + those m reduced scores bounds every packing from above.  Subgradient
 * steps (Polyak's rule towards the target, the best packing known) lower it for ``iters``
 * steps, starting from the last call's multipliers; p->lam ends at the lowest bound found. */
static void lagrange(const Ctx *c, Pool *p, double target, int iters) {
    int m = c->m, n = c->n;
    double best_l = INFINITY, mu = 1.0;
    int since = 0;
    memcpy(p->lam_best, p->lam, (size_t)n * sizeof(double));
    for (int it = 0; it < iters && now() < p->deadline; it++) {
        route_lams(c, p);
        int cnt = 0; /* the m best positive reduced scores, descending */
        for (int e = 0; e < p->size; e++) {
            double r = p->eff[e] - p->lamr[e];
            if (r <= 0 || (cnt == m && r <= p->eff[p->top[m - 1]] - p->lamr[p->top[m - 1]]))
                continue;
            int t = cnt < m ? cnt++ : m - 1;
            while (t > 0 && p->eff[p->top[t - 1]] - p->lamr[p->top[t - 1]] < r) {
                p->top[t] = p->top[t - 1];
                t--;
            }
            p->top[t] = e;
        }
        double l = p->lam_total;
        for (int t = 0; t < cnt; t++) l += p->eff[p->top[t]] - p->lamr[p->top[t]];
        if (l < best_l - 1e-9) {
            best_l = l;
            memcpy(p->lam_best, p->lam, (size_t)n * sizeof(double));
            since = 0;
        } else if (++since >= 3) {
            mu *= 0.5;
            since = 0;
        }
        if (l - target <= 1e-6) break; /* the target is optimal */
        for (int v = 0; v < n; v++) p->grad[v] = 1.0;
        for (int t = 0; t < cnt; t++) {
            const int *seq = p->seq + (size_t)p->top[t] * (size_t)p->maxlen;
            for (int k = 1; k < p->len[p->top[t]] - 1; k++) p->grad[seq[k]] -= 1.0;
        }
        double norm = 0.0;
        for (int v = 0; v < n; v++) {
            if (p->lam[v] <= 0 && p->grad[v] > 0) p->grad[v] = 0.0; /* stays at 0 */
            norm += p->grad[v] * p->grad[v];
        }
        if (norm <= 0) break; /* the relaxed solution is a packing covering every priced node */
        double step = mu * (l - target) / norm;
        for (int v = 0; v < n; v++) {
            double x = p->lam[v] - step * p->grad[v];
            p->lam[v] = x > 0 ? x : 0.0;
        }
    }
    memcpy(p->lam, p->lam_best, (size_t)n * sizeof(double));
}

/* the pool's routes by reduced score (p->lam), descending, with the prefix sums of the
   positive ones: the bound of the branch and bound */
static void sort_pool(const Ctx *c, Pool *p, double target) {
    if (target <= 0) /* no packing known: the best single route as the target */
        for (int e = 0; e < p->size; e++)
            if (p->eff[e] > target) target = p->eff[e];
    lagrange(c, p, target, LAG_STEPS);
    route_lams(c, p);
    for (int i = 0; i < p->size; i++) p->keyed[i] = (Keyed){p->eff[i] - p->lamr[i], i};
    qsort(p->keyed, (size_t)p->size, sizeof(Keyed), keyed_desc);
    p->prefix[0] = 0.0;
    for (int i = 0; i < p->size; i++)
        p->prefix[i + 1] = p->prefix[i] + (p->keyed[i].key > 0 ? p->keyed[i].key : 0.0);
}

/* the best packing of the sorted pool scoring more than floor: p->best_pick[0 .. p->nbest),
   or p->nbest = -1 if none was found */
static void pack_from(const Ctx *c, Pool *p, double floor) {
    memset(p->used, 0, (size_t)p->words * sizeof(uint64_t));
    p->nodes = 0;
    p->best = floor;
    p->nbest = -1;
    pack(c, p, 0, 0, 0.0, 0.0, 0.0);
}

/* Recombination for at most ``seconds`` (and never past the search's deadline): the best
 * packing of the pool scoring more than the best solution goes into s and 1 is returned;
 * else 0, s as it was. */
static int recombine(const Ctx *c, Pool *p, State *s, const State *init, const State *best,
                     double seconds) {
    if (p->size == 0) return 0;
    double t_end = now() + seconds;
    p->deadline = t_end < c->deadline ? t_end : c->deadline;
    sort_pool(c, p, best->eff);
    pack_from(c, p, best->eff);
    if (p->nbest < 0) return 0;
    state_copy(s, init, c);
    for (int t = 0; t < p->nbest; t++) put_route(c, s, &s->r[t], p, p->best_pick[t]);
    return 1;
}

/* ---------------------------------------------------------------- search */

typedef struct {
    Insertions ins;
    double *sm, *rel;
    int *valid, *buf_a, *buf_b, *pos, *who, *free_nodes;
    uint64_t *seen, *hash;
    Arrays *xs;
    Route tmp;
} Work;

static int same_opt(const Route *r) {
    return r->optlen == r->len && memcmp(r->opt, r->seq, (size_t)r->len * sizeof(int)) == 0;
}

static void local_search(Ctx *c, State *s, double noise, Work *w) {
    insert_phase(c, s, noise, &w->ins);
    for (int round = 0; round < 50; round++) {
        if (now() >= c->deadline) return;
        int moved = 0;
        for (int i = 0; i < c->m; i++) {
            Route *r = &s->r[i];
            if (same_opt(r)) continue;
            moved |= two_opt_relocate(c, r, w->sm);
            memcpy(r->opt, r->seq, (size_t)r->len * sizeof(int));
            r->optlen = r->len;
        }
        moved |= inter_route(c, s, w->xs, w->valid, w->buf_a, w->buf_b, w->seen, w->hash);
        int ins = moved ? insert_phase(c, s, 0.0, &w->ins) : 0;
        int rep = replace(c, s, &w->xs[0], &w->tmp, w->buf_a, w->free_nodes);
        if (rep) insert_phase(c, s, 0.0, &w->ins);
        if (!(ins || rep)) return;
    }
}

static void drop(const Ctx *c, State *s, Route *r, const unsigned char *gone) {
    int out = 1;
    for (int k = 1; k < r->len; k++) {
        if (k < r->len - 1 && gone[k]) {
            int node = r->seq[k];
            s->visited[node] = 0;
            s->eff -= c->eff[node];
            s->cost -= c->cost[node];
        } else {
            r->seq[out++] = r->seq[k];
        }
    }
    r->len = out;
    update(c, r);
}

/* remove a block of consecutive movable visits of random size and position from every route */
static void shake_block(Ctx *c, State *s, int max_size, int *pos, unsigned char *gone) {
    for (int ri = 0; ri < c->m; ri++) {
        Route *r = &s->r[ri];
        int cnt = 0;
        for (int k = r->fixed + 1; k < r->len - 1; k++)
            if (movable_at(c, r, k)) pos[cnt++] = k;
        if (cnt == 0) continue;
        int hi = max_size < cnt ? max_size : cnt;
        if (hi < 1) hi = 1;
        int size = randint(c, 1, hi), first = randint(c, 0, cnt - 1);
        memset(gone, 0, (size_t)r->len);
        for (int t = 0; t < size; t++) gone[pos[(first + t) % cnt]] = 1;
        drop(c, s, r, gone);
    }
}

/* how many of ``total`` movable visits a related or worst removal takes: 2 to
   related_frac * total (at least 3), uniformly */
static int removal_count(Ctx *c, int total) {
    int hi = (int)(c->related_frac * total);
    return randint(c, 2, hi < 3 ? 3 : hi);
}

/* drop the q visits with the smallest keys w->rel[0 .. cnt) (w->who: route * (n + 2) + position) */
static void drop_smallest(const Ctx *c, State *s, Work *w, unsigned char *gone, int q, int cnt) {
    double *rel = w->rel;
    int *who = w->who;
    if (q > cnt) q = cnt;
    for (int t = 0; t < q; t++) { /* partial selection sort */
        int b = t;
        for (int u = t + 1; u < cnt; u++)
            if (rel[u] < rel[b]) b = u;
        double tv = rel[t];
        rel[t] = rel[b];
        rel[b] = tv;
        int tw = who[t];
        who[t] = who[b];
        who[b] = tw;
    }
    for (int ri = 0; ri < c->m; ri++) {
        Route *r = &s->r[ri];
        memset(gone, 0, (size_t)r->len);
        int hit = 0;
        for (int t = 0; t < q; t++)
            if (who[t] / (c->n + 2) == ri) gone[who[t] % (c->n + 2)] = 1, hit = 1;
        if (hit) drop(c, s, r, gone);
    }
}

/* remove the visits closest in space and time to a random visit, across all routes */
static void shake_related(Ctx *c, State *s, Work *w, unsigned char *gone) {
    int total = 0;
    for (int ri = 0; ri < c->m; ri++)
        for (int k = s->r[ri].fixed + 1; k < s->r[ri].len - 1; k++)
            if (movable_at(c, &s->r[ri], k)) total++;
    if (total == 0) return;
    int q = removal_count(c, total), pick = randint(c, 0, total - 1);
    /* seed visit */
    int sr = 0, sk = 0, cnt = 0;
    for (int ri = 0; ri < c->m; ri++)
        for (int k = s->r[ri].fixed + 1; k < s->r[ri].len - 1; k++)
            if (movable_at(c, &s->r[ri], k) && cnt++ == pick) sr = ri, sk = k;
    int seed_node = s->r[sr].seq[sk];
    double seed_start = s->r[sr].start[sk];
    /* relatedness of every movable visit, noised; keep the q smallest (selection by scan) */
    double *rel = w->rel; /* scratch: total <= n entries */
    int *who = w->who;
    cnt = 0;
    for (int ri = 0; ri < c->m; ri++)
        for (int k = s->r[ri].fixed + 1; k < s->r[ri].len - 1; k++) {
            if (!movable_at(c, &s->r[ri], k)) continue;
            double v = TR(c, seed_node, s->r[ri].seq[k]) + fabs(s->r[ri].start[k] - seed_start);
            rel[cnt] = v * (0.8 + 0.4 * uniform(c));
            who[cnt++] = ri * (c->n + 2) + k;
        }
    drop_smallest(c, s, w, gone, q, cnt);
}

/* remove the visits that bring the least score^2 per unit of time their removal saves (the
   travel detour and service), noised by a factor in [0.5, 1.5), across all routes: the
   poorest visits make room together */
static void shake_worst(Ctx *c, State *s, Work *w, unsigned char *gone) {
    int cnt = 0;
    for (int ri = 0; ri < c->m; ri++) {
        const Route *r = &s->r[ri];
        for (int k = r->fixed + 1; k < r->len - 1; k++) {
            if (!movable_at(c, r, k)) continue;
            int p = r->seq[k - 1], v = r->seq[k], nx = r->seq[k + 1];
            double saved = TR(c, p, v) + c->svc[v] + TR(c, v, nx) - TR(c, p, nx);
            w->rel[cnt] = c->eff2[v] / (saved > EPS ? saved : EPS) * (0.5 + uniform(c));
            w->who[cnt++] = ri * (c->n + 2) + k;
        }
    }
    if (cnt == 0) return;
    drop_smallest(c, s, w, gone, removal_count(c, cnt), cnt);
}

/* force one unvisited node (the best-scored of three drawn at random) into the route and gap
   where it adds the least travel (noised), then drop the lowest-scored other visits of that
   route until it keeps its windows and the budget again: a jump into a region the greedy
   insertion does not reach, because the first visit there costs more time than any other
   insertion.  Returns 0 (and changes no route) when no node, gap or repair qualifies. */
static int shake_force(Ctx *c, State *s, Route *tmp) {
    int j = -1;
    for (int t = 0; t < 3 && c->n_cand > 0; t++) {
        int k = c->by_eff[randint(c, 0, c->n_cand - 1)];
        if (c->cand[k] && !s->visited[k] && !c->locked[k] && c->cost[k] <= c->budget + EPS &&
            (j < 0 || c->eff[k] > c->eff[j]))
            j = k;
    }
    if (j < 0) return 0;
    double best = INFINITY;
    int bi = -1, bg = -1;
    for (int ri = 0; ri < c->m; ri++) {
        const Route *r = &s->r[ri];
        if (r->len - 2 >= c->cap[r->idx]) continue;
        double cj = c->cls[(size_t)r->idx * c->n + j] + EPS;
        for (int g = r->fixed; g < r->len - 1; g++) {
            if (r->start[g] > cj) break; /* starts never decrease along a route */
            int p = r->seq[g], nx = r->seq[g + 1];
            if (r->start[g] + c->svc[p] + TR(c, p, j) > cj) continue;
            double d = (TR(c, p, j) + TR(c, j, nx) - TR(c, p, nx)) * (0.8 + 0.4 * uniform(c));
            if (d < best) best = d, bi = ri, bg = g;
        }
    }
    if (bi < 0) return 0;
    Route *r = &s->r[bi];
    route_copy(tmp, r);
    insert_at(tmp, bg + 1, j);
    double eff = c->eff[j], cost = c->cost[j], room = c->budget - s->cost + EPS;
    for (;;) {
        int late = !isfinite(route_end(c, tmp->idx, tmp->seq, tmp->len));
        if (!late && cost <= room) break;
        int worst = -1; /* over the budget only: drop a visit that costs something */
        for (int k = tmp->fixed + 1; k < tmp->len - 1; k++) {
            int v = tmp->seq[k];
            if (v == j || c->locked[v] || (!late && c->cost[v] <= 0)) continue;
            if (worst < 0 || c->eff[v] < c->eff[tmp->seq[worst]]) worst = k;
        }
        if (worst < 0) return 0; /* nothing left that may go: give up */
        int v = tmp->seq[worst];
        remove_at(tmp, worst);
        eff -= c->eff[v];
        cost -= c->cost[v];
    }
    for (int k = 1; k < r->len - 1; k++) s->visited[r->seq[k]] = 0;
    for (int k = 1; k < tmp->len - 1; k++) s->visited[tmp->seq[k]] = 1;
    s->eff += eff;
    s->cost += cost;
    update(c, tmp);
    route_copy(r, tmp);
    return 1;
}

/* A route of the pool (the best scored of three drawn at random) replaces the current route
   that shares the most visits with it, if it scores more than that route; the other routes lose
   the visits it brings and insertion refills them: a crossover of the current solution with an
   elite route, without the set packing's disjointness.  Returns 0 (nothing changed) when the
   drawn route is the current route's visit set, scores no more, or breaks the budget. */
static int shake_inject(Ctx *c, State *s, const Pool *p, unsigned char *gone) {
    if (p->size == 0) return 0;
    int e = randint(c, 0, p->size - 1);
    for (int t = 0; t < 2; t++) {
        int f = randint(c, 0, p->size - 1);
        if (p->eff[f] > p->eff[e]) e = f;
    }
    int len = p->len[e];
    const uint64_t *b = p->bits + (size_t)e * (size_t)p->words;
#define INPOOL(v) ((b[(v) >> 6] >> ((v) & 63)) & 1ULL)
    int bi = 0, bo = -1;
    for (int ri = 0; ri < c->m; ri++) {
        const Route *r = &s->r[ri];
        int cnt = 0;
        for (int k = 1; k < r->len - 1; k++) cnt += (int)INPOOL(r->seq[k]);
        if (cnt > bo) bo = cnt, bi = ri;
    }
    if (bo == len - 2 && s->r[bi].len == len) return 0; /* the same visit set */
    double have = 0.0;
    for (int k = 1; k < s->r[bi].len - 1; k++) have += c->eff[s->r[bi].seq[k]];
    if (p->eff[e] <= have + EPS) return 0;
    double cost = s->cost + p->cost[e];
    for (int ri = 0; ri < c->m; ri++) {
        const Route *r = &s->r[ri];
        for (int k = 1; k < r->len - 1; k++)
            if (ri == bi || INPOOL(r->seq[k])) cost -= c->cost[r->seq[k]];
    }
    if (cost > c->budget + EPS) return 0;
    for (int ri = 0; ri < c->m; ri++) {
        Route *r = &s->r[ri];
        memset(gone, 0, (size_t)r->len);
        int hit = 0;
        for (int k = 1; k < r->len - 1; k++)
            if (ri == bi || INPOOL(r->seq[k])) gone[k] = 1, hit = 1;
        if (hit) drop(c, s, r, gone);
    }
#undef INPOOL
    put_route(c, s, &s->r[bi], p, e);
    return 1;
}

static void shake(Ctx *c, State *s, int max_size, Work *w, unsigned char *gone, const Pool *pool) {
    if (pool && c->inject_share > 0 && uniform(c) < c->inject_share &&
        shake_inject(c, s, pool, gone))
        return;
    if (c->force_share > 0 && uniform(c) < c->force_share && shake_force(c, s, &w->tmp)) return;
    if (c->worst_share > 0 && uniform(c) < c->worst_share) {
        shake_worst(c, s, w, gone);
        return;
    }
    if (c->related_share > 0 && uniform(c) < c->related_share)
        shake_related(c, s, w, gone);
    else
        shake_block(c, s, max_size, w->pos, gone);
}

/* ---------------------------------------------------------------- Python entry point */

static int copy_in(PyObject *obj, void *dst, size_t size, const char *name) {
    Py_buffer view;
    if (PyObject_GetBuffer(obj, &view, PyBUF_C_CONTIGUOUS) < 0) return 0;
    if ((size_t)view.len != size) {
        PyErr_Format(PyExc_ValueError, "%s: expected %zu bytes, got %zd", name, size, view.len);
        PyBuffer_Release(&view);
        return 0;
    }
    memcpy(dst, view.buf, size);
    PyBuffer_Release(&view);
    return 1;
}

/* a Python sequence of min_len..max_len node indices in [0, n) into out; its length, or -1 with
   an exception set */
static Py_ssize_t read_nodes(PyObject *obj, int n, int *out, Py_ssize_t min_len,
                             Py_ssize_t max_len) {
    PyObject *seq = PySequence_Fast(obj, "routes: sequences");
    if (!seq) return -1;
    Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
    if (len < min_len || len > max_len) {
        Py_DECREF(seq);
        PyErr_SetString(PyExc_ValueError, "routes: bad length");
        return -1;
    }
    for (Py_ssize_t k = 0; k < len; k++) {
        long v = PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, k));
        if ((v == -1 && PyErr_Occurred()) || v < 0 || v >= n) {
            Py_DECREF(seq);
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "routes: bad node");
            return -1;
        }
        out[k] = (int)v;
    }
    Py_DECREF(seq);
    return len;
}

static PyObject *search(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *names[] = {"n", "m", "travel", "service", "open", "close", "t0", "tmax",
                            "cap", "eff", "cost", "budget", "candidate", "locked", "routes",
                            "fixed", "seed", "time_limit", "max_iterations", "params",
                            "construct_only", NULL};
    int n, m;
    long long seed_arg, max_iter;
    double budget, time_limit;
    PyObject *oT, *osvc, *oopn, *ocls, *ot0, *otmax, *ocap, *oeff, *ocost, *ocand, *olocked,
        *oroutes, *ofixed, *oparams;
    int construct_only = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "iiOOOOOOOOOdOOOOLdLO|$p", names, &n, &m, &oT,
                                     &osvc, &oopn, &ocls, &ot0, &otmax, &ocap, &oeff, &ocost,
                                     &budget, &ocand, &olocked, &oroutes, &ofixed, &seed_arg,
                                     &time_limit, &max_iter, &oparams, &construct_only))
        return NULL;
    if (n <= 0 || m < 0) return PyErr_Format(PyExc_ValueError, "bad sizes n=%d m=%d", n, m);
    Ctx c;
    memset(&c, 0, sizeof c);
    c.n = n;
    c.m = m;
    c.budget = budget;
    size_t nn = (size_t)n, mn = (size_t)m * nn, mm = (size_t)(m > 0 ? m : 1);
    double *T = malloc(nn * nn * sizeof(double)), *TT = malloc(nn * nn * sizeof(double)),
           *svc = malloc(nn * sizeof(double)),
           *opn = malloc((mn ? mn : 1) * sizeof(double)),
           *cls = malloc((mn ? mn : 1) * sizeof(double)),
           *t0 = malloc(mm * sizeof(double)), *tmax = malloc(mm * sizeof(double)),
           *eff = malloc(nn * sizeof(double)), *cost = malloc(nn * sizeof(double)),
           *eff2 = malloc(nn * sizeof(double));
    int *cap = malloc(mm * sizeof(int)), *fixed = malloc(mm * sizeof(int));
    int *by_eff = malloc(nn * sizeof(int)), *by_ub = malloc(nn * sizeof(int));
    double *ub = malloc(nn * sizeof(double));
    Keyed *keyed = malloc(nn * sizeof(Keyed));
    unsigned char *cand = malloc(nn), *locked = malloc(nn), *gone = malloc(nn + 2);
    State cur = {0}, best = {0}, episode = {0}, init = {0};
    Pool pool;
    memset(&pool, 0, sizeof pool);
    int recomb = 0;
    Work w;
    memset(&w, 0, sizeof w);
    PyObject *result = NULL;
    if (!T || !TT || !svc || !opn || !cls || !t0 || !tmax || !eff || !cost || !eff2 || !cap ||
        !fixed || !cand || !locked || !gone || !by_eff || !keyed || !by_ub || !ub) {
        PyErr_NoMemory();
        goto done;
    }
    if (!copy_in(oT, T, nn * nn * sizeof(double), "travel") ||
        !copy_in(osvc, svc, nn * sizeof(double), "service") ||
        !copy_in(oopn, opn, mn * sizeof(double), "open") ||
        !copy_in(ocls, cls, mn * sizeof(double), "close") ||
        !copy_in(ot0, t0, (size_t)m * sizeof(double), "t0") ||
        !copy_in(otmax, tmax, (size_t)m * sizeof(double), "tmax") ||
        !copy_in(ocap, cap, (size_t)m * sizeof(int), "cap") ||
        !copy_in(oeff, eff, nn * sizeof(double), "eff") ||
        !copy_in(ocost, cost, nn * sizeof(double), "cost") ||
        !copy_in(ocand, cand, nn, "candidate") || !copy_in(olocked, locked, nn, "locked") ||
        !copy_in(ofixed, fixed, (size_t)m * sizeof(int), "fixed"))
        goto done;
    for (size_t j = 0; j < nn; j++) eff2[j] = eff[j] > 0 ? eff[j] * eff[j] : 0.0;
    c.n_cand = candidates_by(eff, cand, n, keyed, by_eff);
    c.by_eff = by_eff;
    /* the least shift of inserting j anywhere is its service: the detour
       T[p][j] + T[j][q] - T[p][q] is >= 0 under the triangle inequality (where travel times
       break it, the pruning below may skip a node whose ratio is higher; no infeasible
       insertion follows) */
    for (size_t j = 0; j < nn; j++) ub[j] = svc[j] > EPS ? eff2[j] / svc[j] : INFINITY;
    candidates_by(ub, cand, n, keyed, by_ub);
    c.ub = ub, c.by_ub = by_ub;
    for (size_t i = 0; i < nn; i++)
        for (size_t j = 0; j < nn; j++) TT[j * nn + i] = T[i * nn + j];
    c.T = T, c.TT = TT, c.svc = svc, c.opn = opn, c.cls = cls, c.t0 = t0, c.tmax = tmax;
    c.eff = eff;
    c.cost = cost, c.cap = cap, c.cand = cand, c.locked = locked, c.eff2 = eff2;
    c.homogeneous = 1;
    for (int i = 1; i < m && c.homogeneous; i++)
        c.homogeneous = t0[i] == t0[0] && tmax[i] == tmax[0] && cap[i] == cap[0] &&
                        memcmp(opn + (size_t)i * nn, opn, nn * sizeof(double)) == 0 &&
                        memcmp(cls + (size_t)i * nn, cls, nn * sizeof(double)) == 0;
    if (!PyArg_ParseTuple(oparams, "iiiiidddddiiLddddd", &c.restart_after, &c.fresh_after,
                          &c.shake_growth, &c.replace_full, &c.span, &c.noise,
                          &c.related_share, &c.related_frac, &c.shake_frac, &c.accept,
                          &c.recomb_every, &c.pool_size, &c.pack_nodes, &c.force_share,
                          &c.worst_share, &c.fresh_noise, &c.end_game, &c.inject_share))
        goto done;
    if (c.restart_after < 1 || c.fresh_after < 1 || c.shake_growth < 1 || c.span < 2 ||
        c.recomb_every < 1 || c.pool_size < 1 || c.pack_nodes < 1 || c.force_share < 0 ||
        c.force_share > 1 || c.worst_share < 0 || c.worst_share > 1 || c.noise < 0 ||
        c.fresh_noise < 0 || c.end_game < 0 || c.end_game > 1 || c.inject_share < 0 ||
        c.inject_share > 1) {
        PyErr_SetString(PyExc_ValueError, "params out of range");
        goto done;
    }
    if (!state_alloc(&cur, &c) || !state_alloc(&best, &c) || !state_alloc(&episode, &c) ||
        !state_alloc(&init, &c) || !route_alloc(&w.tmp, n)) {
        PyErr_NoMemory();
        goto done;
    }
    w.ins.shifts = malloc(mm * nn * sizeof(double));
    w.ins.gaps = malloc(mm * nn * sizeof(int));
    w.ins.seq = malloc(mm * (nn + 2) * sizeof(int));
    w.ins.len = malloc(mm * sizeof(int));
    w.rel = malloc(nn * sizeof(double));
    w.who = malloc(nn * sizeof(int));
    w.free_nodes = malloc(nn * sizeof(int));
    w.sm = malloc((nn + 2) * sizeof(double));
    w.valid = malloc(mm * sizeof(int));
    w.buf_a = malloc((nn + 2) * sizeof(int));
    w.buf_b = malloc((nn + 2) * sizeof(int));
    w.pos = malloc((nn + 2) * sizeof(int));
    w.xs = calloc(mm, sizeof(Arrays));
    w.seen = calloc(mm * mm, sizeof(uint64_t)); /* 0: never scanned (signatures are odd) */
    w.hash = calloc(mm, sizeof(uint64_t));
    if (!w.ins.shifts || !w.ins.gaps || !w.ins.seq || !w.ins.len || !w.rel || !w.who ||
        !w.free_nodes || !w.sm || !w.valid || !w.buf_a || !w.buf_b || !w.pos || !w.xs || !w.seen ||
        !w.hash) {
        PyErr_NoMemory();
        goto done;
    }
    for (int i = 0; i < m; i++) w.ins.len[i] = -1;
    for (int i = 0; i < m; i++) {
        w.xs[i].slack = malloc((nn + 2) * sizeof(double));
        w.xs[i].wsum = malloc((nn + 2) * sizeof(double));
        w.xs[i].sm = malloc((nn + 2) * sizeof(double));
        if (!w.xs[i].slack || !w.xs[i].wsum || !w.xs[i].sm) {
            PyErr_NoMemory();
            goto done;
        }
    }
    /* the initial state: the routes as given (start, locked prefix and visits, end) */
    if (!PyList_Check(oroutes) || PyList_GET_SIZE(oroutes) != m) {
        PyErr_SetString(PyExc_ValueError, "routes: a list of m sequences");
        goto done;
    }
    memset(init.visited, 0, nn);
    init.eff = init.cost = 0.0;
    for (int i = 0; i < m; i++) {
        Route *r = &init.r[i];
        Py_ssize_t len = read_nodes(PyList_GET_ITEM(oroutes, i), n, r->seq, 2, n + 2);
        if (len < 0) goto done;
        r->len = (int)len;
        r->fixed = fixed[i];
        r->idx = i;
        r->optlen = -1;
        for (int k = 1; k < r->len - 1; k++) {
            int v = r->seq[k];
            init.visited[v] = 1;
            init.eff += eff[v];
            init.cost += cost[v];
        }
        update(&c, r);
    }
    for (int i = 1; i < m; i++) /* 2-opt* moves tails between routes: they share an end */
        if (init.r[i].seq[init.r[i].len - 1] != init.r[0].seq[init.r[0].len - 1]) c.homogeneous = 0;
    for (int i = 0; i < m; i++) { /* terminals are never visited */
        init.visited[init.r[i].seq[0]] = 1;
        init.visited[init.r[i].seq[init.r[i].len - 1]] = 1;
    }
    /* recombination: any route may take any slot */
    recomb = m > 1 && c.homogeneous;
    for (int i = 0; i < m && recomb; i++)
        recomb = init.r[i].len == 2 && init.r[i].seq[0] == init.r[0].seq[0];
    for (int j = 0; j < n && recomb; j++) recomb = !locked[j];
    if (recomb && !pool_alloc(&pool, c.pool_size, n, m, c.pack_nodes)) {
        PyErr_NoMemory();
        goto done;
    }
    seed_rng(&c, (uint64_t)seed_arg);
    long long it = 0;
    double elapsed;
    Py_BEGIN_ALLOW_THREADS;
    double t_begin = now();
    double deadline = t_begin + time_limit;
    c.deadline = max_iter >= 0 ? INFINITY : deadline;
    state_copy(&cur, &init, &c);
    if (construct_only) { /* the greedy insertion alone */
        insert_phase(&c, &cur, 0.0, &w.ins);
        state_copy(&best, &cur, &c);
        goto searched;
    }
    local_search(&c, &cur, 0.0, &w);
    state_copy(&best, &cur, &c);
    state_copy(&episode, &cur, &c);
    {
        /* shake size: a share of the longest route of the first local optimum, at least 2 */
        int n_cust = 0, max_route = 0;
        for (int j = 0; j < n; j++) n_cust += cand[j] != 0;
        if (n_cust < 1) n_cust = 1;
        for (int i = 0; i < m; i++)
            if (cur.r[i].len - 2 > max_route) max_route = cur.r[i].len - 2;
        int by_count = n_cust / (3 * m > 1 ? 3 * m : 1);
        int by_route = (int)(max_route * c.shake_frac) + 1;
        c.base_size = by_count < by_route ? by_count : by_route;
        if (c.base_size < 2) c.base_size = 2;
    }
    int stall = 0, fails = 0;
    long long next_recomb = c.recomb_every;
    /* the share of the time limit one recombination may take (an iteration count binds: none) */
    double pack_time = max_iter >= 0 ? INFINITY : 0.02 * time_limit;
    double longest = 0.0;
    /* the time of the last recombination (below) is kept from the search */
    double reserve = recomb && max_iter < 0 ? pack_time : 0.0;
    for (;;) {
        if (max_iter >= 0 && it >= max_iter) break;
        double started = now();
        if (max_iter < 0 && started + longest >= deadline - reserve) break;
        it++;
        shake(&c, &cur, c.base_size + stall / c.shake_growth, &w, gone, recomb ? &pool : NULL);
        local_search(&c, &cur, c.noise, &w);
        if (recomb) {
            for (int i = 0; i < m; i++) pool_add(&c, &pool, &cur.r[i]);
        }
        double took = now() - started;
        if (recomb && it >= next_recomb) {
            /* a failed recombination waits twice as long before the next (up to 16 times) */
            int ok = recombine(&c, &pool, &cur, &init, &best, pack_time);
            if (ok) {
                local_search(&c, &cur, 0.0, &w);
                for (int i = 0; i < m; i++) pool_add(&c, &pool, &cur.r[i]);
                fails = 0;
            } else if (fails < 4) {
                fails++;
            }
            next_recomb = it + ((long long)c.recomb_every << fails);
        }
        if (better(&cur, &episode, &c)) {
            state_copy(&episode, &cur, &c);
            stall = 0;
            if (better(&cur, &best, &c)) state_copy(&best, &cur, &c);
        } else {
            stall++;
            if (stall >= c.fresh_after) {
                double done = max_iter >= 0 ? (double)it / (double)max_iter
                                            : (now() - t_begin) / time_limit;
                if (done >= 1.0 - c.end_game) {
                    /* end game: too late for a new episode to catch up; the search goes back to
                       the overall best instead */
                    state_copy(&cur, &best, &c);
                } else { /* diversification: a new episode from a noisy construction */
                    state_copy(&cur, &init, &c);
                    insert_phase(&c, &cur, c.fresh_noise, &w.ins);
                }
                state_copy(&episode, &cur, &c);
                stall = 0;
            } else if (cur.eff < episode.eff * (1.0 - c.accept) - EPS &&
                       stall % c.restart_after == 0) {
                /* a current solution within ``accept`` of the episode's best is kept (threshold
                   accepting); a worse one is replaced by the best on restart */
                state_copy(&cur, &episode, &c);
            }
        }
        if (took > longest) longest = took;
    }
    if (recomb) {
        /* a last recombination: the pool holds the routes of the last iterations too */
        if (recombine(&c, &pool, &cur, &init, &best, pack_time)) {
            local_search(&c, &cur, 0.0, &w);
            if (better(&cur, &best, &c)) state_copy(&best, &cur, &c);
        }
    }
searched:
    elapsed = now() - t_begin;
    Py_END_ALLOW_THREADS;
    (void)elapsed;
    result = PyList_New(m);
    if (!result) goto done;
    for (int i = 0; i < m; i++) {
        Route *r = &best.r[i];
        PyObject *seq = PyList_New(r->len);
        if (!seq) {
            Py_CLEAR(result);
            goto done;
        }
        for (int k = 0; k < r->len; k++) PyList_SET_ITEM(seq, k, PyLong_FromLong(r->seq[k]));
        PyList_SET_ITEM(result, i, seq);
    }
    {
        PyObject *tuple = Py_BuildValue("(NL)", result, it);
        result = tuple;
    }
done:
    state_free(&cur, &c);
    state_free(&best, &c);
    state_free(&episode, &c);
    state_free(&init, &c);
    pool_free(&pool);
    route_free(&w.tmp);
    if (w.xs)
        for (int i = 0; i < m; i++) free(w.xs[i].slack), free(w.xs[i].wsum), free(w.xs[i].sm);
    free(w.xs);
    free(w.ins.shifts), free(w.ins.gaps), free(w.ins.seq), free(w.ins.len), free(w.rel);
    free(w.who), free(w.free_nodes), free(w.sm), free(w.valid), free(w.buf_a), free(w.buf_b);
    free(w.pos), free(w.seen), free(w.hash);
    free(T), free(TT), free(svc), free(opn), free(cls), free(t0), free(tmax), free(eff);
    free(cost);
    free(eff2), free(cap), free(fixed), free(cand), free(locked), free(gone), free(by_eff);
    free(keyed), free(by_ub), free(ub);
    return result;
}


/* the pool and its set packing on their own, for tests: routes are visit lists (no terminals);
   returns (the best packing's routes, the pool's routes) */
static PyObject *pack_routes(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *names[] = {"routes", "eff", "cost", "m", "budget", "pool_size", "node_limit",
                            NULL};
    PyObject *oroutes, *oeff, *ocost, *result = NULL, *picked = NULL, *kept = NULL;
    int m, pool_size;
    long long node_limit;
    double budget;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOOidiL", names, &oroutes, &oeff, &ocost, &m,
                                     &budget, &pool_size, &node_limit))
        return NULL;
    Py_ssize_t nn = PyObject_Length(oeff);
    if (nn <= 0 || m < 1 || pool_size < 1 || node_limit < 1 || !PyList_Check(oroutes))
        return PyErr_Format(PyExc_ValueError, "bad arguments");
    int n = (int)nn;
    Ctx c;
    memset(&c, 0, sizeof c);
    c.n = n, c.m = m, c.budget = budget;
    double *eff = malloc((size_t)n * sizeof(double)), *cost = malloc((size_t)n * sizeof(double));
    Route r;
    memset(&r, 0, sizeof r);
    Pool p;
    memset(&p, 0, sizeof p);
    if (!eff || !cost || !route_alloc(&r, n) || !pool_alloc(&p, pool_size, n, m, node_limit)) {
        PyErr_NoMemory();
        goto done;
    }
    if (!copy_in(oeff, eff, (size_t)n * sizeof(double), "eff") ||
        !copy_in(ocost, cost, (size_t)n * sizeof(double), "cost"))
        goto done;
    c.eff = eff, c.cost = cost;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(oroutes); i++) {
        Py_ssize_t len = read_nodes(PyList_GET_ITEM(oroutes, i), n, r.seq + 1, 0, n);
        if (len < 0) goto done;
        r.len = (int)len + 2;
        r.seq[0] = r.seq[len + 1] = 0; /* terminals: pool_add reads only the visits */
        pool_add(&c, &p, &r);
    }
    p.deadline = INFINITY;
    sort_pool(&c, &p, 0.0);
    pack_from(&c, &p, -1.0);
    picked = PyList_New(p.nbest > 0 ? p.nbest : 0);
    kept = PyList_New(p.size);
    if (!picked || !kept) goto done;
    for (int t = 0; t < p.nbest + p.size; t++) {
        int e = t < p.nbest ? p.best_pick[t] : t - p.nbest;
        const int *seq = p.seq + (size_t)e * (size_t)p.maxlen;
        PyObject *lst = PyList_New(p.len[e] - 2);
        if (!lst) goto done;
        for (int k = 1; k < p.len[e] - 1; k++) PyList_SET_ITEM(lst, k - 1, PyLong_FromLong(seq[k]));
        if (t < p.nbest)
            PyList_SET_ITEM(picked, t, lst);
        else
            PyList_SET_ITEM(kept, t - p.nbest, lst);
    }
    result = Py_BuildValue("(OO)", picked, kept);
done:
    Py_XDECREF(picked);
    Py_XDECREF(kept);
    pool_free(&p);
    route_free(&r);
    free(eff), free(cost);
    return result;
}

static PyMethodDef methods[] = {
    {"search", (PyCFunction)(void (*)(void))search, METH_VARARGS | METH_KEYWORDS,
     "search(n, m, travel, service, open, close, t0, tmax, cap, eff, cost, budget, candidate, "
     "locked, routes, fixed, seed, time_limit, max_iterations, params) -> (routes, iterations)"},
    {"pack_routes", (PyCFunction)(void (*)(void))pack_routes, METH_VARARGS | METH_KEYWORDS,
     "pack_routes(routes, eff, cost, m, budget, pool_size, node_limit) -> (the best packing, "
     "the pool): the pool the routes make and its set packing on their own (for tests)"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_ils",
                                    "The compiled search loop of navio.itinerary.solver.", -1,
                                    methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__ils(void) { return PyModule_Create(&module); }
