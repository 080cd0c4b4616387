/* vf_images.c — step 5: every image of the app's docker compose file is pinned by digest.
 *
 * The compose YAML (app-compose.json's docker_compose_file) is loaded with libyaml's
 * document API, so anchors and aliases are resolved as references (no expansion, no
 * "billion laughs"). Walked: root mapping → services → each service mapping → image,
 * following merge keys (`<<: *base`, `<<: [*a, *b]`) up to a small depth. Refused as
 * ambiguous (a parser that keeps the last duplicate would see another image than one that
 * keeps the first): duplicate keys in the mappings walked, more than one YAML document.
 *
 * Pinned = [registry/]name[:tag]@sha256:<64 lowercase hex>, with no whitespace and no
 * ${VAR} interpolation. A service without an image (build: only) is an offender too: its
 * content is not fixed by the compose file.
 */
#include "vf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#define VF_MERGE_DEPTH 8

void vf_images_init(vf_images *im) { memset(im, 0, sizeof *im); }

void vf_images_free(vf_images *im) {
    for (size_t i = 0; i < im->n; i++) {
        free(im->v[i].service);
        free(im->v[i].image);
    }
    free(im->v);
    memset(im, 0, sizeof *im);
}

static int is_hex_lower(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return 1;
}

int vf_image_pinned(const char *ref, char *why, size_t whycap) {
    size_t n = strlen(ref);
    if (n == 0) {
        snprintf(why, whycap, "empty image");
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)ref[i];
        if (c <= 0x20 || c == 0x7f) {
            snprintf(why, whycap, "whitespace or control character in the reference");
            return 0;
        }
    }
    if (strchr(ref, '$')) {
        snprintf(why, whycap, "variable interpolation: the image is chosen at deploy time");
        return 0;
    }
    const char *at = strrchr(ref, '@');
    if (!at) {
        const char *slash = strrchr(ref, '/');
        const char *colon = strrchr(slash ? slash : ref, ':');
        if (colon)
            snprintf(why, whycap, "mutable tag :%.40s, not pinned by digest", colon + 1);
        else
            snprintf(why, whycap, "no tag or digest (means :latest), not pinned by digest");
        return 0;
    }
    if (at == ref || memchr(ref, '@', (size_t)(at - ref))) {
        snprintf(why, whycap, "malformed reference");
        return 0;
    }
    const char *dg = at + 1;
    if (strncmp(dg, "sha256:", 7) != 0) {
        snprintf(why, whycap, "digest is not sha256:<64 hex>");
        return 0;
    }
    if (strlen(dg + 7) != 64 || !is_hex_lower(dg + 7, 64)) {
        snprintf(why, whycap, "digest is not sha256:<64 lowercase hex>");
        return 0;
    }
    return 1;
}

static int set_err(vf_images *im, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int set_err(vf_images *im, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(im->err, sizeof im->err, fmt, ap);
    va_end(ap);
    return -1;
}

static int add_image(vf_images *im, const char *svc, size_t svclen, const char *img,
                     size_t imglen) {
    if (im->n == im->cap) {
        size_t nc = im->cap ? im->cap * 2 : 8;
        vf_image *nv = realloc(im->v, nc * sizeof *nv);
        if (!nv) return set_err(im, "out of memory");
        im->v = nv;
        im->cap = nc;
    }
    vf_image *e = &im->v[im->n];
    memset(e, 0, sizeof *e);
    e->service = strndup(svc, svclen);
    e->image = img ? strndup(img, imglen) : NULL;
    if (!e->service || (img && !e->image)) {
        free(e->service);
        free(e->image);
        return set_err(im, "out of memory");
    }
    im->n++;
    if (!img) {
        snprintf(e->why, sizeof e->why, "no image: (built from source, not pinned)");
    } else if (memchr(img, '\0', imglen)) {
        snprintf(e->why, sizeof e->why, "NUL byte in the reference");
    } else if (vf_image_pinned(e->image, e->why, sizeof e->why)) {
        e->pinned = 1;
        im->n_pinned++;
    }
    return 0;
}

static int key_is(const yaml_node_t *k, const char *name) {
    return k && k->type == YAML_SCALAR_NODE && k->data.scalar.length == strlen(name) &&
           !memcmp(k->data.scalar.value, name, k->data.scalar.length);
}

/* Rejects duplicate scalar keys in a mapping. */
static int check_dups(yaml_document_t *d, yaml_node_t *m, const char *where, vf_images *im) {
    for (yaml_node_pair_t *a = m->data.mapping.pairs.start; a < m->data.mapping.pairs.top; a++) {
        yaml_node_t *ka = yaml_document_get_node(d, a->key);
        if (!ka || ka->type != YAML_SCALAR_NODE)
            return set_err(im, "%s: a key that is not a string", where);
        for (yaml_node_pair_t *b = a + 1; b < m->data.mapping.pairs.top; b++) {
            yaml_node_t *kb = yaml_document_get_node(d, b->key);
            if (kb && kb->type == YAML_SCALAR_NODE &&
                kb->data.scalar.length == ka->data.scalar.length &&
                !memcmp(kb->data.scalar.value, ka->data.scalar.value, ka->data.scalar.length))
                return set_err(im, "%s: duplicate key \"%.60s\" (ambiguous)", where,
                               (const char *)ka->data.scalar.value);
        }
    }
    return 0;
}

/* The image node of a service mapping, following merge keys. *found: 1 when an image key
 * was seen (its node in *out, may be a null scalar). */
static int find_image(yaml_document_t *d, yaml_node_t *m, int depth, const char *svc,
                      yaml_node_t **out, int *found, vf_images *im) {
    if (depth > VF_MERGE_DEPTH) return set_err(im, "service %s: merge keys nested too deep", svc);
    if (!m || m->type != YAML_MAPPING_NODE) return set_err(im, "service %s: not a mapping", svc);
    if (check_dups(d, m, svc, im) != 0) return -1;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        if (key_is(yaml_document_get_node(d, p->key), "image")) {
            *out = yaml_document_get_node(d, p->value);
            *found = 1;
            return 0; /* an own key wins over merged ones */
        }
    }
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        if (!key_is(yaml_document_get_node(d, p->key), "<<")) continue;
        yaml_node_t *v = yaml_document_get_node(d, p->value);
        if (v && v->type == YAML_MAPPING_NODE) {
            if (find_image(d, v, depth + 1, svc, out, found, im) != 0) return -1;
        } else if (v && v->type == YAML_SEQUENCE_NODE) {
            for (yaml_node_item_t *it = v->data.sequence.items.start;
                 it < v->data.sequence.items.top && !*found; it++)
                if (find_image(d, yaml_document_get_node(d, *it), depth + 1, svc, out, found, im) !=
                    0)
                    return -1;
        } else {
            return set_err(im, "service %s: merge key << is not a mapping", svc);
        }
        if (*found) return 0;
    }
    return 0;
}

static int scan_doc(yaml_document_t *d, vf_images *im) {
    yaml_node_t *root = yaml_document_get_root_node(d);
    if (!root) return set_err(im, "the compose file is empty");
    if (root->type != YAML_MAPPING_NODE) return set_err(im, "the compose file is not a mapping");
    if (check_dups(d, root, "top level", im) != 0) return -1;
    yaml_node_t *services = NULL;
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
         p++)
        if (key_is(yaml_document_get_node(d, p->key), "services"))
            services = yaml_document_get_node(d, p->value);
    if (!services || services->type != YAML_MAPPING_NODE)
        return set_err(im, "the compose file has no services mapping");
    if (check_dups(d, services, "services", im) != 0) return -1;
    for (yaml_node_pair_t *p = services->data.mapping.pairs.start;
         p < services->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(d, p->key);
        yaml_node_t *v = yaml_document_get_node(d, p->value);
        const char *svc = (const char *)k->data.scalar.value;
        size_t svclen = k->data.scalar.length;
        char svcname[80];
        snprintf(svcname, sizeof svcname, "%.*s", (int)(svclen > 60 ? 60 : svclen), svc);
        yaml_node_t *img = NULL;
        int found = 0;
        if (v && v->type == YAML_SCALAR_NODE && v->data.scalar.length == 0) {
            v = NULL; /* "app:" with nothing: a service without an image */
        } else if (find_image(d, v, 0, svcname, &img, &found, im) != 0) {
            return -1;
        }
        if (!found || (img && img->type == YAML_SCALAR_NODE && img->data.scalar.length == 0 &&
                       img->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)) {
            if (add_image(im, svc, svclen, NULL, 0) != 0) return -1;
        } else if (!img || img->type != YAML_SCALAR_NODE) {
            return set_err(im, "service %s: image is not a string", svcname);
        } else if (add_image(im, svc, svclen, (const char *)img->data.scalar.value,
                             img->data.scalar.length) != 0) {
            return -1;
        }
    }
    if (im->n == 0) return set_err(im, "the compose file defines no services");
    return 0;
}

int vf_images_scan(const char *yaml, size_t len, vf_images *im) {
    yaml_parser_t p;
    yaml_document_t d;
    if (!yaml_parser_initialize(&p)) return set_err(im, "out of memory");
    yaml_parser_set_input_string(&p, (const unsigned char *)yaml, len);
    int rc;
    if (!yaml_parser_load(&p, &d)) {
        rc = set_err(im, "YAML error: %s at line %zu", p.problem ? p.problem : "unknown",
                     p.problem_mark.line + 1);
        yaml_parser_delete(&p);
        return rc;
    }
    rc = scan_doc(&d, im);
    yaml_document_delete(&d);
    if (rc == 0) {
        yaml_document_t d2;
        if (!yaml_parser_load(&p, &d2)) {
            rc = set_err(im, "YAML error: %s at line %zu", p.problem ? p.problem : "unknown",
                         p.problem_mark.line + 1);
        } else {
            if (yaml_document_get_root_node(&d2))
                rc = set_err(im, "the compose file holds more than one YAML document (ambiguous)");
            yaml_document_delete(&d2);
        }
    }
    yaml_parser_delete(&p);
    return rc;
}

void vf_step_images(const char *app_compose, vf_step *s) {
    if (!app_compose) {
        vf_step_fail(s, "no app_compose in Info");
        return;
    }
    cJSON *ac = cJSON_Parse(app_compose);
    if (!cJSON_IsObject(ac)) {
        vf_step_fail(s, "app_compose is not a JSON object");
        cJSON_Delete(ac);
        return;
    }
    const cJSON *dc = cJSON_GetObjectItemCaseSensitive(ac, "docker_compose_file");
    if (!cJSON_IsString(dc) || !*dc->valuestring) {
        const cJSON *runner = cJSON_GetObjectItemCaseSensitive(ac, "runner");
        vf_step_fail(s,
                     "app_compose has no docker_compose_file (runner %s): image pinning "
                     "cannot be shown",
                     cJSON_IsString(runner) ? runner->valuestring : "unset");
        cJSON_Delete(ac);
        return;
    }
    vf_images im;
    vf_images_init(&im);
    if (vf_images_scan(dc->valuestring, strlen(dc->valuestring), &im) != 0) {
        vf_step_fail(s, "docker_compose_file: %s", im.err);
    } else if (im.n_pinned == im.n) {
        vf_step_ok(s, "all %zu image%s pinned by sha256 digest", im.n, im.n == 1 ? "" : "s");
    } else {
        char list[700] = "";
        size_t l = 0;
        for (size_t i = 0; i < im.n; i++) {
            vf_image *e = &im.v[i];
            if (e->pinned) continue;
            vf_step_item(s, "%s: %s (%s)", e->service, e->image ? e->image : "-", e->why);
            if (l < sizeof list - 1)
                l += (size_t)snprintf(list + l, sizeof list - l, "%s%s=%.100s", l ? ", " : "",
                                      e->service, e->image ? e->image : "(no image)");
        }
        if (l >= sizeof list) l = sizeof list - 1;
        vf_step_fail(s, "%zu of %zu image%s not pinned by digest: %s", im.n - im.n_pinned, im.n,
                     im.n == 1 ? "" : "s", list);
        for (size_t i = 0; i < im.n; i++)
            if (!im.v[i].pinned) {
                vf_step_cmp(s, "name@sha256:<64 hex>",
                            im.v[i].image ? im.v[i].image : "(no image)");
                break;
            }
    }
    vf_images_free(&im);
    cJSON_Delete(ac);
}
