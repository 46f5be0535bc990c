/* themetag._featurize: the inner steps of FeatureSpace.transform and SparseRows.dot, in C.
 *
 * - WordIndex: strings (a batch's words, the character vocabulary) to ints, read from str data in place;
 * - feature_rows: a batch's term and cue counts, sublinear TF-IDF and norms, as CSR rows;
 * - sparse_dot: CSR rows times a dense weight matrix;
 * - hash_index: the slots of an n-gram table's hash index.
 *
 * Optional: features.py uses it when it was compiled at install and falls back
 * to NumPy otherwise (FeatureSpace._rows_numpy, the reference). Both give the
 * same feature rows and scores, bit for bit (tests/test_fast_path.py):
 *
 * - the logarithms come from tables that NumPy filled (tf_table, cue_table),
 *   so no libm function can differ from NumPy's in the last bit; counts past
 *   the tables' end (one term thousands of times in one text) come back as
 *   bytes, and the caller calls again with NumPy's logarithms of them;
 * - every sum is taken in NumPy's order (a block's squares in column order,
 *   as np.bincount adds them), and the build turns off fused multiply-add;
 *   a build with -ffast-math (which reorders sums) is refused below.
 *
 * Arrays arrive through the buffer protocol (NumPy arrays, array.array),
 * C-contiguous, with the item sizes that features.py passes; every index read
 * from them is range-checked, so tables that do not fit together raise
 * ValueError instead of reading out of bounds. Results go back as bytearrays
 * (writable, read with numpy.frombuffer). No NumPy C API: building needs only a
 * C compiler and Python's headers. GCC and Clang are what it is built and tested
 * with; for MSVC (untested: no Windows build here) the GCC builtins have
 * fallbacks below, and any other C99 compiler gets plain C for them.
 *
 * INTERFACE (below) changes whenever a function's arguments or results do:
 * features.py ignores a module built from another version of this file (an
 * editable install leaves the old build in place until `pip install -e .` is
 * run again), and a test compares the number here with the imported module's.
 */
#if defined(__FAST_MATH__) || defined(_M_FP_FAST)
#error "themetag._featurize must give NumPy's bits: build it without -ffast-math (GCC, Clang) or /fp:fast (MSVC)"
#endif
#define THEMETAG_FEATURIZE_INTERFACE 2

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* No fused multiply-add, whatever the compiler (a product and a sum rounded once would differ from NumPy's bits):
 * setup.py passes -ffp-contract=off to GCC and Clang; MSVC takes the pragma (and /fp:precise from setup.py). */
#ifdef _MSC_VER
#pragma fp_contract(off)
#endif

/* ctz64(x): the number of trailing zero bits of a non-zero 64-bit word. GCC's and Clang's builtin; MSVC's intrinsic;
 * otherwise (or with -DTHEMETAG_PORTABLE_C, which a check uses to build the plain-C fallback with GCC) a de Bruijn
 * multiply, exact for every non-zero word. */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(THEMETAG_PORTABLE_C)
#define ctz64(x) __builtin_ctzll(x)
#elif defined(_MSC_VER) && !defined(THEMETAG_PORTABLE_C)
#include <intrin.h>
#if defined(_M_X64) || defined(_M_ARM64) || defined(_M_ARM64EC)
#pragma intrinsic(_BitScanForward64)
static __forceinline int ctz64(uint64_t x) {
    unsigned long at;
    _BitScanForward64(&at, (unsigned __int64)x);
    return (int)at;
}
#else /* 32-bit Windows: two halves */
#pragma intrinsic(_BitScanForward)
static __forceinline int ctz64(uint64_t x) {
    unsigned long at;
    if (_BitScanForward(&at, (unsigned long)(x & 0xFFFFFFFFu)))
        return (int)at;
    _BitScanForward(&at, (unsigned long)(x >> 32));
    return (int)at + 32;
}
#endif
#else
static const unsigned char ctz64_de_bruijn[64] = {
    0,  1,  2,  53, 3,  7,  54, 27, 4,  38, 41, 8,  34, 55, 48, 28, 62, 5,  39, 46, 44, 42, 22, 9,  24, 35, 59, 56, 49, 18, 29, 11,
    63, 52, 6,  26, 37, 40, 33, 47, 61, 45, 43, 21, 23, 58, 17, 10, 51, 25, 36, 32, 60, 20, 57, 16, 50, 31, 19, 15, 30, 14, 13, 12};
static inline int ctz64(uint64_t x) { return ctz64_de_bruijn[((x & (0 - x)) * 0x022FDD63CC95386DULL) >> 58]; }
#endif

/* Does a buffer hold whole, aligned items of this size? (typed reads of a misaligned buffer are undefined) */
static int fits_items(const Py_buffer *b, size_t itemsize) {
    return b->len == 0 || ((uintptr_t)b->buf % itemsize == 0 && (size_t)b->len % itemsize == 0);
}

/* The longest sequence a table may hold: word n-grams are checked to be at most 6 long when a model loads. */
#define MAX_SEQUENCE 64

/* Sequences of n stem ids (features._NgramTable): sorted 64-bit keys, the ids behind each key, a value per key,
 * and which ids can start and end a sequence. */
typedef struct {
    Py_ssize_t n, m;
    uint64_t multiplier;
    const uint64_t *keys;
    const int64_t *ids;
    const int64_t *values;
    const uint8_t *first, *last;
    const int32_t *slots; /* hash_index(keys): open addressing, a power of two of slots, -1 where empty */
    uint64_t slot_mask;
    int slot_shift;
    Py_buffer buffers[6];
    int held;
} Table;

/* Which slot a key hashes to first (Fibonacci hashing: the key's top bits after a multiply by 2^64 / phi). */
static inline uint64_t first_slot(uint64_t key, int shift) { return (key * 0x9E3779B97F4A7C15ULL) >> shift; }

/* The number of slots for m keys: a power of two at least 2m (half empty, so probes are short). */
static int slot_bits(Py_ssize_t m) {
    int bits = 1;
    while (((Py_ssize_t)1 << bits) < 2 * m)
        bits++;
    return bits;
}

static void release_tables(Table *tables, Py_ssize_t count) {
    for (Py_ssize_t t = 0; t < count; t++)
        for (int b = 0; b < tables[t].held; b++)
            PyBuffer_Release(&tables[t].buffers[b]);
    PyMem_Free(tables);
}

/* Read a list of (n, multiplier, keys, ids, values, first, last, slots) tuples; values must lie in [0, value_limit).
 * The list is copied into a tuple first (*owner, to release after the call), and every table is parsed before any is
 * checked: parsing can run Python code (__index__), which must not change what was already checked. */
static Table *read_tables(PyObject *list, Py_ssize_t base, int64_t value_limit, Py_ssize_t *count, PyObject **owner) {
    if (!PyList_Check(list)) {
        PyErr_SetString(PyExc_TypeError, "tables must be a list");
        return NULL;
    }
    PyObject *items = *owner = PyList_AsTuple(list);
    if (items == NULL)
        return NULL;
    *count = PyTuple_GET_SIZE(items);
    Table *tables = PyMem_Calloc(*count ? *count : 1, sizeof(Table));
    if (tables == NULL)
        return (Table *)PyErr_NoMemory();
    for (Py_ssize_t t = 0; t < *count; t++) {
        Table *table = &tables[t];
        Py_buffer *b = table->buffers;
        unsigned long long multiplier;
        PyObject *item = PyTuple_GET_ITEM(items, t);
        if (!PyTuple_Check(item)) {
            release_tables(tables, t);
            PyErr_SetString(PyExc_TypeError, "a table must be a tuple");
            return NULL;
        }
        if (!PyArg_ParseTuple(item, "nKy*y*y*y*y*y*", &table->n, &multiplier, &b[0], &b[1], &b[2], &b[3], &b[4], &b[5])) {
            release_tables(tables, t);
            return NULL;
        }
        table->held = 6;
        table->multiplier = (uint64_t)multiplier;
    }
    for (Py_ssize_t t = 0; t < *count; t++) {
        Table *table = &tables[t];
        Py_buffer *b = table->buffers;
        table->m = b[0].len / (Py_ssize_t)sizeof(uint64_t);
        table->keys = b[0].buf;
        table->ids = b[1].buf;
        table->values = b[2].buf;
        table->first = b[3].buf;
        table->last = b[4].buf;
        table->slots = b[5].buf;
        int bits = slot_bits(table->m);
        table->slot_mask = ((uint64_t)1 << bits) - 1;
        table->slot_shift = 64 - bits;
        int ok = table->n >= 2 && table->n <= MAX_SEQUENCE && table->m < INT32_MAX && fits_items(&b[0], 8) && fits_items(&b[1], 8) &&
                 fits_items(&b[2], 8) && fits_items(&b[5], 4) && b[1].len / 8 / table->n == table->m && b[1].len % (8 * table->n) == 0 &&
                 b[2].len == b[0].len && b[3].len == base && b[4].len == base && b[5].len == ((Py_ssize_t)1 << bits) * 4;
        for (Py_ssize_t k = 0; ok && k < table->m; k++)
            ok = table->values[k] >= 0 && table->values[k] < value_limit;
        Py_ssize_t filled = 0;
        for (uint64_t k = 0; ok && k <= table->slot_mask; k++) {
            ok = table->slots[k] >= -1 && table->slots[k] < table->m;
            filled += table->slots[k] >= 0;
        }
        if (!ok || filled > (Py_ssize_t)table->slot_mask) { /* (an empty slot must be left, to end a probe) */
            release_tables(tables, *count);
            PyErr_SetString(PyExc_ValueError, "an n-gram table's arrays do not fit together");
            return NULL;
        }
    }
    return tables;
}

/* Can the n tokens at `window` be one of the table's sequences at all? (all known, first and last possible) */
static int table_may_hold(const Table *table, const int32_t *window) {
    if (window[0] < 0 || window[table->n - 1] < 0 || !table->first[window[0]] || !table->last[window[table->n - 1]])
        return 0;
    for (Py_ssize_t k = 1; k < table->n - 1; k++)
        if (window[k] < 0)
            return 0;
    return 1;
}

/* The table's value for the n tokens at `window`, or -1. */
static int64_t table_find(const Table *table, const int32_t *window) {
    if (!table_may_hold(table, window))
        return -1;
    uint64_t key = 0;
    for (Py_ssize_t k = 0; k < table->n; k++)
        key = key * table->multiplier + (uint64_t)(int64_t)window[k]; /* wraps past 64 bits, as NumPy's uint64 does */
    /* (probes end at an empty slot: there are twice as many slots as keys; the bound and the range check hold even
     * if another thread rewrites the slots meanwhile) */
    uint64_t slot = first_slot(key, table->slot_shift);
    for (uint64_t probe = 0; probe <= table->slot_mask; probe++, slot = (slot + 1) & table->slot_mask) {
        int32_t at = table->slots[slot];
        if (at < 0 || at >= table->m)
            return -1;
        if (table->keys[at] == key) {
            const int64_t *ids = table->ids + (Py_ssize_t)at * table->n;
            for (Py_ssize_t k = 0; k < table->n; k++) /* a wrapped key can collide: the ids decide */
                if (ids[k] != window[k])
                    return -1;
            return table->values[at];
        }
    }
    return -1;
}

PyDoc_STRVAR(hash_index_doc,
             "hash_index(keys)\n--\n\n"
             "The slots (bytes of int32) of an open-addressing index of distinct uint64 keys, for feature_rows' tables.");

static PyObject *hash_index(PyObject *self, PyObject *args) {
    Py_buffer keys_b;
    if (!PyArg_ParseTuple(args, "y*", &keys_b))
        return NULL;
    const uint64_t *keys = keys_b.buf;
    Py_ssize_t m = keys_b.len / (Py_ssize_t)sizeof(uint64_t);
    int bits = slot_bits(m);
    PyObject *slots_bytes = NULL;
    if (m >= INT32_MAX || bits > 40) {
        PyErr_SetString(PyExc_ValueError, "hash_index: too many keys");
        goto done;
    }
    uint64_t mask = ((uint64_t)1 << bits) - 1;
    if (!(slots_bytes = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(mask + 1) * (Py_ssize_t)sizeof(int32_t))))
        goto done;
    int32_t *slots = (int32_t *)PyBytes_AS_STRING(slots_bytes);
    memset(slots, 0xFF, (size_t)(mask + 1) * sizeof(int32_t)); /* every slot -1 */
    for (Py_ssize_t k = 0; k < m; k++) {
        uint64_t slot = first_slot(keys[k], 64 - bits);
        while (slots[slot] >= 0)
            slot = (slot + 1) & mask;
        slots[slot] = (int32_t)k;
    }
done:
    PyBuffer_Release(&keys_b);
    return slots_bytes;
}

/* Everything one call needs, read from its arguments. */
typedef struct {
    const int32_t *word_rows, *stems, *chars;
    const int64_t *stem_ptr, *char_ptr, *unigram_column;
    const uint8_t *single_cues, *single_cues_any, *membership;
    const double *idf, *tf_table, *cue_table;
    Py_ssize_t n_word_rows, n_table_rows, n_stems, n_chars, n_texts, n_words, n_term_columns, base, n_cues, cue_stride, table_size;
    const int64_t *big_counts; /* counts past the tables, sorted, with their logarithms in big_tf and big_cue */
    const double *big_tf, *big_cue;
    Py_ssize_t n_big, n_phrases;
    int use_unigrams;
    Table *ngrams, *cue_tables;
    Py_ssize_t n_ngram_tables, n_cue_tables;
} Inputs;

/* Scratch space and results of one call. */
typedef struct {
    int64_t *counts; /* per column: its count in the text being read (0 elsewhere) */
    int32_t *tokens;
    Py_ssize_t token_capacity, bound;
    /* The columns a text touched, as bits, and which 64-bit words of those bits are not zero: read in order, they
     * give the columns sorted, with no sort (and no branch when a term is counted). */
    uint64_t *touched, *touched_words;
    Py_ssize_t n_touched_words;
    int64_t *cue_match;
    Py_ssize_t *cue_positions;
    int64_t *indptr, *indices;
    double *data;
    Py_ssize_t n_entries;
    int64_t *missing; /* counts past the tables that big_counts lacks: the caller adds them and calls again */
    Py_ssize_t n_missing, missing_capacity;
} Work;

/* Where `count` is among the inputs' big counts, or -1 (and the count is noted as missing; -2 when out of memory). */
static Py_ssize_t big_count_at(const Inputs *in, Work *w, int64_t count) {
    Py_ssize_t low = 0, high = in->n_big;
    while (low < high) {
        Py_ssize_t middle = low + (high - low) / 2;
        if (in->big_counts[middle] < count)
            low = middle + 1;
        else
            high = middle;
    }
    if (low < in->n_big && in->big_counts[low] == count)
        return low;
    if (w->n_missing == w->missing_capacity) {
        Py_ssize_t capacity = w->missing_capacity * 2 + 16;
        int64_t *grown = realloc(w->missing, (size_t)capacity * sizeof(int64_t));
        if (grown == NULL)
            return -2;
        w->missing = grown;
        w->missing_capacity = capacity;
    }
    w->missing[w->n_missing++] = count;
    return -1;
}

/* No batch comes near this many tokens, occurrences or entries; past it, sums could overflow. */
#define MOST_IN_A_BATCH ((Py_ssize_t)1 << 40)

/* Check every word row the texts use, and bound the entries they can make: per text, its term occurrences (but no
 * more than there are columns) plus one per cue. Returns NULL or what did not fit. */
static const char *check_and_bound(const Inputs *in, Py_ssize_t *bound, Py_ssize_t *most_tokens) {
    Py_ssize_t text = 0, occurrences = 0, tokens = 0;
    *bound = 0;
    *most_tokens = 0;
    Py_ssize_t orders = in->use_unigrams + in->n_ngram_tables;
    for (Py_ssize_t word = 0; word <= in->n_word_rows; word++) {
        if (word == in->n_word_rows || in->word_rows[word] == 0) { /* the end of a text */
            Py_ssize_t entries = occurrences + tokens * orders;
            *bound += (entries < in->n_term_columns ? entries : in->n_term_columns) + in->n_cues;
            if (*bound > MOST_IN_A_BATCH || text >= in->n_texts)
                return *bound > MOST_IN_A_BATCH ? "the batch is too large" : "word_rows holds another number of texts than n_texts";
            if (tokens > *most_tokens)
                *most_tokens = tokens;
            occurrences = tokens = 0;
            text++;
            continue;
        }
        int32_t row = in->word_rows[word];
        if (row < 0 || row >= in->n_table_rows)
            return "a word row is out of range";
        const int64_t *stem_ptr = in->stem_ptr + row, *char_ptr = in->char_ptr + row;
        if (stem_ptr[0] < 0 || stem_ptr[1] < stem_ptr[0] || stem_ptr[1] > in->n_stems || char_ptr[0] < 0 || char_ptr[1] < char_ptr[0] ||
            char_ptr[1] > in->n_chars)
            return "a row pointer is out of range";
        tokens += (Py_ssize_t)(stem_ptr[1] - stem_ptr[0]);
        occurrences += (Py_ssize_t)(char_ptr[1] - char_ptr[0]);
        if (tokens > MOST_IN_A_BATCH || occurrences > MOST_IN_A_BATCH)
            return "the batch is too large";
    }
    return text == in->n_texts ? NULL : "word_rows holds another number of texts than n_texts";
}

#define BUMP(column)                                                         \
    do {                                                                     \
        int64_t column_ = (column);                                          \
        w->counts[column_]++;                                                \
        w->touched[column_ >> 6] |= (uint64_t)1 << (column_ & 63);           \
        w->touched_words[column_ >> 12] |= (uint64_t)1 << ((column_ >> 6) & 63); \
    } while (0)

/* The feature rows of all texts, into w->indptr, indices and data (room made by check_and_bound's bound); NULL, or a
 * message saying what did not fit. Runs without the GIL. */
static const char *rows_of_texts(const Inputs *in, Work *w) {
    Py_ssize_t word = 0;
    w->indptr[0] = 0;
    for (Py_ssize_t text = 0; text < in->n_texts; text++) {
        /* The text's words run up to the next separator (word row 0) or the end. check_and_bound checked them, but
         * another thread may have written to the arrays since (only the GIL kept it out): every index is checked
         * again where it is used. */
        Py_ssize_t n_tokens = 0;
        for (; word < in->n_word_rows && in->word_rows[word] != 0; word++) {
            int32_t row = in->word_rows[word];
            if (row < 0 || row >= in->n_table_rows)
                return "a word row is out of range";
            int64_t stems_from = in->stem_ptr[row], stems_to = in->stem_ptr[row + 1];
            int64_t chars_from = in->char_ptr[row], chars_to = in->char_ptr[row + 1];
            if (stems_from < 0 || stems_to > in->n_stems || chars_from < 0 || chars_to > in->n_chars || n_tokens + (stems_to - stems_from) > w->token_capacity)
                return "a row pointer is out of range";
            for (int64_t k = stems_from; k < stems_to; k++) {
                int32_t token = in->stems[k];
                if (token < -1 || token >= in->base - 1)
                    return "a stem id is out of range";
                w->tokens[n_tokens++] = token;
            }
            for (int64_t k = chars_from; k < chars_to; k++) {
                int32_t column = in->chars[k];
                if (column < in->n_words || column >= in->n_term_columns)
                    return "a character column is out of range";
                BUMP(column);
            }
        }
        word++; /* past the separator */
        const int32_t *tokens = w->tokens;
        if (in->use_unigrams)
            for (Py_ssize_t p = 0; p < n_tokens; p++) {
                int64_t column = tokens[p] >= 0 ? in->unigram_column[tokens[p]] : -1;
                if (column >= in->n_words)
                    return "a unigram column is out of range";
                if (column >= 0)
                    BUMP(column);
            }
        for (Py_ssize_t t = 0; t < in->n_ngram_tables; t++) {
            const Table *table = &in->ngrams[t];
            for (Py_ssize_t p = 0; p + table->n <= n_tokens; p++) {
                int64_t column = table_find(table, tokens + p);
                if (column >= in->n_words)
                    return "an n-gram column is out of range";
                if (column >= 0)
                    BUMP(column);
            }
        }

        /* Sublinear TF-IDF, each block (words, then characters) L2-normalised on its own. The squares are added
         * in column order, as np.bincount adds them: the same sums to the last bit. */
        int64_t *indices = w->indices + w->n_entries;
        double *data = w->data + w->n_entries;
        Py_ssize_t n_touched = 0, first_char = -1; /* where the character block starts among the sorted columns */
        for (Py_ssize_t summary = 0; summary < w->n_touched_words; summary++) {
            uint64_t words = w->touched_words[summary];
            w->touched_words[summary] = 0;
            while (words) {
                Py_ssize_t at_word = summary * 64 + ctz64(words);
                words &= words - 1;
                uint64_t bits = w->touched[at_word];
                w->touched[at_word] = 0;
                while (bits) {
                    int64_t column = at_word * 64 + ctz64(bits);
                    bits &= bits - 1;
                    int64_t count = w->counts[column];
                    w->counts[column] = 0;
                    if (w->n_entries + n_touched + in->n_cues >= w->bound)
                        return "more entries than the texts can make";
                    if (column >= in->n_words && first_char < 0)
                        first_char = n_touched;
                    indices[n_touched] = column;
                    if (count < in->table_size) {
                        data[n_touched] = in->tf_table[count] * in->idf[column];
                    } else { /* one term thousands of times in one text: rare */
                        Py_ssize_t at = big_count_at(in, w, count);
                        if (at == -2)
                            return "";
                        data[n_touched] = at >= 0 ? in->big_tf[at] * in->idf[column] : 0.0;
                    }
                    n_touched++;
                }
            }
        }
        if (first_char < 0)
            first_char = n_touched;
        double word_squares = 0.0, char_squares = 0.0;
        for (Py_ssize_t k = 0; k < first_char; k++)
            word_squares += data[k] * data[k];
        for (Py_ssize_t k = first_char; k < n_touched; k++)
            char_squares += data[k] * data[k];
        double word_norm = sqrt(word_squares), char_norm = sqrt(char_squares);
        for (Py_ssize_t k = 0; k < first_char; k++)
            data[k] /= word_norm;
        for (Py_ssize_t k = first_char; k < n_touched; k++)
            data[k] /= char_norm;
        Py_ssize_t n_row = n_touched;

        if (in->n_cues > 0) {
            /* cue_match[t * n_tokens + p]: the phrase of cue table t found at token p, or -1; cue_positions: the
             * tokens where any cue phrase starts, in order (elsewhere every cue's scan just steps on). */
            Py_ssize_t n_positions = 0;
            for (Py_ssize_t p = 0; p < n_tokens; p++) {
                int any = tokens[p] >= 0 && in->single_cues_any[tokens[p]];
                for (Py_ssize_t t = 0; t < in->n_cue_tables; t++) {
                    const Table *table = &in->cue_tables[t];
                    int64_t phrase = p + table->n <= n_tokens ? table_find(table, tokens + p) : -1;
                    if (phrase >= in->n_phrases)
                        return "a cue phrase is out of range";
                    w->cue_match[t * n_tokens + p] = phrase;
                    any |= phrase >= 0;
                }
                if (any)
                    w->cue_positions[n_positions++] = p;
            }
            /* Each cue as cue_pattern's regex scans the stemmed text: at each token the cue's longest phrase starting
             * there (the tables come shortest first), matches not overlapping, left to right. */
            for (Py_ssize_t j = 0; j < in->n_cues; j++) {
                int64_t found = 0;
                Py_ssize_t free_from = 0; /* the first token not inside a match already counted */
                for (Py_ssize_t k = 0; k < n_positions; k++) {
                    Py_ssize_t p = w->cue_positions[k];
                    if (p < free_from)
                        continue;
                    Py_ssize_t length = tokens[p] >= 0 && in->single_cues[(Py_ssize_t)tokens[p] * in->cue_stride + j] ? 1 : 0;
                    for (Py_ssize_t t = 0; t < in->n_cue_tables; t++) {
                        int64_t phrase = w->cue_match[t * n_tokens + p];
                        if (phrase >= 0 && in->membership[phrase * in->cue_stride + j])
                            length = in->cue_tables[t].n;
                    }
                    if (length) {
                        found++;
                        free_from = p + length;
                    }
                }
                if (found) {
                    indices[n_row] = in->n_term_columns + j;
                    if (found < in->table_size) {
                        data[n_row] = in->cue_table[found];
                    } else {
                        Py_ssize_t at = big_count_at(in, w, found);
                        if (at == -2)
                            return "";
                        data[n_row] = at >= 0 ? in->big_cue[at] : 0.0;
                    }
                    n_row++;
                }
            }
        }
        w->n_entries += n_row;
        w->indptr[text + 1] = w->n_entries;
    }
    return NULL;
}

PyDoc_STRVAR(feature_rows_doc,
             "feature_rows(word_rows, n_texts, stem_ptr, stems, char_ptr, chars, n_words, n_term_columns, unigram_column,\n"
             "             ngram_tables, base, single_cues, n_cues, cue_stride, cue_tables, cue_membership, idf, tf_table, cue_table,\n"
             "             big_counts, big_tf, big_cue)\n"
             "--\n\n"
             "The CSR feature rows (indptr, indices, data as bytes of int64, int64, float64) of a batch of texts; or, when\n"
             "counts past the tables are not among big_counts, those counts (bytes of int64), to add and call again.\n"
             "See features.FeatureSpace._rows_compiled.");

static PyObject *feature_rows(PyObject *self, PyObject *args, PyObject *kwargs) {
    static char *names[] = {"word_rows", "n_texts", "stem_ptr", "stems", "char_ptr", "chars", "n_words", "n_term_columns", "unigram_column",
                            "ngram_tables", "base", "single_cues", "n_cues", "cue_stride", "cue_tables", "cue_membership", "idf", "tf_table",
                            "cue_table", "big_counts", "big_tf", "big_cue", NULL};
    Py_buffer b[14];
    Inputs in = {0};
    PyObject *ngram_list, *cue_list;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "y*ny*y*y*y*nny*Ony*nnOy*y*y*y*y*y*y*", names, &b[0], &in.n_texts, &b[1], &b[2], &b[3], &b[4],
                                     &in.n_words, &in.n_term_columns, &b[5], &ngram_list, &in.base, &b[6], &in.n_cues, &in.cue_stride, &cue_list,
                                     &b[7], &b[8], &b[9], &b[10], &b[11], &b[12], &b[13]))
        return NULL;
    const int n_buffers = 14;
    PyObject *result = NULL, *indptr = NULL, *indices = NULL, *data = NULL, *ngram_owner = NULL, *cue_owner = NULL;
    const char *error = NULL;
    uint8_t *any_single = NULL;
    Work w = {0};
    in.word_rows = b[0].buf, in.stem_ptr = b[1].buf, in.stems = b[2].buf, in.char_ptr = b[3].buf, in.chars = b[4].buf;
    in.unigram_column = b[5].buf, in.single_cues = b[6].buf, in.membership = b[7].buf;
    in.idf = b[8].buf, in.tf_table = b[9].buf, in.cue_table = b[10].buf;
    in.n_word_rows = b[0].len / 4, in.n_table_rows = b[1].len / 8 - 1, in.n_stems = b[2].len / 4, in.n_chars = b[4].len / 4;
    in.use_unigrams = b[5].len > 0;
    in.table_size = b[9].len / 8;
    in.big_counts = b[11].buf, in.big_tf = b[12].buf, in.big_cue = b[13].buf;
    in.n_big = b[11].len / 8;
    in.n_phrases = in.cue_stride > 0 ? b[7].len / in.cue_stride : 0;

    /* Sizes first (each product is checked by division before it is formed), then item sizes and alignment. */
    int fits = in.n_texts >= 1 && in.n_texts <= in.n_word_rows + 1 && in.n_words >= 0 && in.n_term_columns >= in.n_words &&
               in.n_term_columns < INT32_MAX && in.base >= 1 && in.base <= PY_SSIZE_T_MAX / 8 && in.n_cues >= 0 &&
               in.cue_stride >= (in.n_cues > 0 ? in.n_cues : 1) && in.cue_stride <= PY_SSIZE_T_MAX / in.base;
    fits = fits && b[3].len == b[1].len && in.n_table_rows >= 1 && (!in.use_unigrams || b[5].len == in.base * 8) &&
           b[6].len == in.base * in.cue_stride && b[7].len % in.cue_stride == 0 && b[8].len == in.n_term_columns * 8 &&
           b[10].len == b[9].len && in.table_size >= 2 && b[12].len == b[11].len && b[13].len == b[11].len;
    static const size_t itemsize[14] = {4, 8, 4, 8, 4, 8, 1, 1, 8, 8, 8, 8, 8, 8};
    for (int k = 0; fits && k < n_buffers; k++)
        fits = fits_items(&b[k], itemsize[k]);
    if (!fits) {
        error = "the tables do not fit together";
        goto done;
    }
    if (!(in.ngrams = read_tables(ngram_list, in.base, in.n_words, &in.n_ngram_tables, &ngram_owner)) ||
        !(in.cue_tables = read_tables(cue_list, in.base, in.n_phrases, &in.n_cue_tables, &cue_owner)))
        goto done;
    Py_ssize_t bound, most_tokens;
    if ((error = check_and_bound(&in, &bound, &most_tokens)))
        goto done;
    /* Which stem ids are a one-token phrase of any cue. */
    if (!(any_single = PyMem_Calloc((size_t)in.base, 1)))
        goto no_memory;
    for (Py_ssize_t id = 0; id < in.base; id++)
        for (Py_ssize_t j = 0; j < in.n_cues; j++)
            any_single[id] |= in.single_cues[id * in.cue_stride + j];
    in.single_cues_any = any_single;
    size_t columns = (size_t)(in.n_term_columns ? in.n_term_columns : 1), tokens = (size_t)most_tokens + 1;
    w.counts = calloc(columns, sizeof(int64_t));
    w.n_touched_words = ((Py_ssize_t)columns + 4095) / 4096;
    w.touched = calloc((size_t)w.n_touched_words * 64, sizeof(uint64_t));
    w.touched_words = calloc((size_t)w.n_touched_words, sizeof(uint64_t));
    w.tokens = malloc(tokens * sizeof(int32_t));
    w.token_capacity = (Py_ssize_t)tokens;
    w.bound = bound;
    w.cue_positions = malloc(tokens * sizeof(Py_ssize_t));
    w.cue_match = malloc(tokens * (size_t)(in.n_cue_tables ? in.n_cue_tables : 1) * sizeof(int64_t));
    /* The results are written straight into bytearrays, cut to their length at the end. */
    indptr = PyByteArray_FromStringAndSize(NULL, (in.n_texts + 1) * 8);
    indices = PyByteArray_FromStringAndSize(NULL, (bound ? bound : 1) * 8);
    data = PyByteArray_FromStringAndSize(NULL, (bound ? bound : 1) * 8);
    if (!w.counts || !w.touched || !w.touched_words || !w.tokens || !w.cue_positions || !w.cue_match || !indptr || !indices || !data)
        goto no_memory;
    w.indptr = (int64_t *)PyByteArray_AS_STRING(indptr);
    w.indices = (int64_t *)PyByteArray_AS_STRING(indices);
    w.data = (double *)PyByteArray_AS_STRING(data);
    Py_BEGIN_ALLOW_THREADS
    error = rows_of_texts(&in, &w);
    Py_END_ALLOW_THREADS
    if (error && !*error) {
        error = NULL;
        goto no_memory;
    }
    if (error)
        goto done;
    if (w.n_missing) {
        result = PyBytes_FromStringAndSize((const char *)w.missing, w.n_missing * 8);
        goto done;
    }
    if (PyByteArray_Resize(indices, w.n_entries * 8) < 0 || PyByteArray_Resize(data, w.n_entries * 8) < 0)
        goto done;
    result = PyTuple_Pack(3, indptr, indices, data);
    goto done;
no_memory:
    if (!PyErr_Occurred())
        PyErr_NoMemory();
done:
    if (error && !PyErr_Occurred())
        PyErr_Format(PyExc_ValueError, "feature_rows: %s", error);
    if (in.ngrams)
        release_tables(in.ngrams, in.n_ngram_tables);
    if (in.cue_tables)
        release_tables(in.cue_tables, in.n_cue_tables);
    Py_XDECREF(ngram_owner);
    Py_XDECREF(cue_owner);
    free(w.counts);
    free(w.touched);
    free(w.touched_words);
    free(w.tokens);
    free(w.cue_positions);
    free(w.cue_match);
    free(w.missing);
    PyMem_Free(any_single);
    Py_XDECREF(indptr);
    Py_XDECREF(indices);
    Py_XDECREF(data);
    for (int k = 0; k < n_buffers; k++)
        PyBuffer_Release(&b[k]);
    return result;
}

PyDoc_STRVAR(sparse_dot_doc,
             "sparse_dot(indptr, indices, data, weights, n_columns)\n--\n\n"
             "rows @ weights (a bytearray of float64, n_rows x n_columns) for CSR rows and a C-ordered float64 (n_features,\n"
             "n_columns) matrix: each output summed in stored order, one product at a time, as NumPy's bincount and\n"
             "SciPy's csr_matvecs sum it, so the bits are theirs.");

/* One row of rows @ weights with `width` columns: each output summed in entry order, one product at a time (NumPy's and
 * SciPy's order, so their bits). 0 when an index is out of range. A constant width lets the compiler keep the sums
 * in registers. */
static inline int dot_row(const int64_t *indices, const double *data, int64_t from, int64_t to, const double *weights, Py_ssize_t n_features,
                          Py_ssize_t width, double *out) {
    double few[16] = {0}, *sums = width <= 16 ? few : out; /* (a wider head sums in its output row) */
    for (Py_ssize_t k = 0; k < width; k++)
        sums[k] = 0.0;
    for (int64_t e = from; e < to; e++) {
        int64_t feature = indices[e];
        if (feature < 0 || feature >= n_features)
            return 0;
        const double *w = weights + feature * width;
        for (Py_ssize_t k = 0; k < width; k++)
            sums[k] += data[e] * w[k];
    }
    if (sums != out)
        memcpy(out, sums, (size_t)width * sizeof(double));
    return 1;
}

static PyObject *sparse_dot(PyObject *self, PyObject *args) {
    Py_buffer b[4];
    Py_ssize_t n_columns;
    if (!PyArg_ParseTuple(args, "y*y*y*y*n", &b[0], &b[1], &b[2], &b[3], &n_columns))
        return NULL;
    PyObject *out = NULL;
    const int64_t *indptr = b[0].buf, *indices = b[1].buf;
    const double *data = b[2].buf, *weights = b[3].buf;
    Py_ssize_t n_rows = b[0].len / 8 - 1, n_entries = b[1].len / 8;
    Py_ssize_t n_features = n_columns > 0 ? b[3].len / 8 / n_columns : 0;
    int ok = n_rows >= 0 && n_columns > 0 && n_columns <= PY_SSIZE_T_MAX / 8 / (n_rows > 0 ? n_rows : 1) && b[2].len == b[1].len && b[3].len == n_features * n_columns * 8 &&
             fits_items(&b[0], 8) && fits_items(&b[1], 8) && fits_items(&b[2], 8) && fits_items(&b[3], 8) && indptr[0] == 0;
    if (!ok) {
        PyErr_SetString(PyExc_ValueError, "sparse_dot: the arrays do not fit together");
        goto done;
    }
    if (!(out = PyByteArray_FromStringAndSize(NULL, n_rows * n_columns * 8)))
        goto done;
    double *z = (double *)PyByteArray_AS_STRING(out);
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n_rows && ok; i++) {
        int64_t from = indptr[i], to = indptr[i + 1]; /* (checked here: another thread may write to the arrays) */
        ok = from >= 0 && to >= from && to <= n_entries;
        if (!ok)
            break;
        double *row = z + i * n_columns;
        switch (n_columns) {
        case 3: ok = dot_row(indices, data, from, to, weights, n_features, 3, row); break;
        case 4: ok = dot_row(indices, data, from, to, weights, n_features, 4, row); break;
        case 5: ok = dot_row(indices, data, from, to, weights, n_features, 5, row); break;
        case 7: ok = dot_row(indices, data, from, to, weights, n_features, 7, row); break;
        default: ok = dot_row(indices, data, from, to, weights, n_features, n_columns, row); break;
        }
    }
    Py_END_ALLOW_THREADS
    if (!ok) {
        Py_CLEAR(out);
        PyErr_SetString(PyExc_ValueError, "sparse_dot: an index is out of range");
    }
done:
    for (int k = 0; k < 4; k++)
        PyBuffer_Release(&b[k]);
    return out;
}

/* ------------------------------------------------------------------ WordIndex: strings to ints, by code points
 *
 * FeatureSpace's word table numbers each distinct whitespace-separated word it has seen. Looking each word of a
 * batch up in a Python dict means making a str for it (a copy), hashing it with SipHash and probing: most of the
 * per-word cost once the words are known. A WordIndex holds the same words -> rows, keyed by their code points,
 * and reads a batch's texts in place: a str is made only for a word it lacks. A second WordIndex holds the
 * character vocabulary (n-gram -> column), so that a new word's n-grams are found without a str each. */

/* str.split()'s whitespace among the first 256 code points (the only ones of a latin-1 string). */
static uint8_t latin1_space[256];

typedef struct {
    PyObject_HEAD
    uint32_t *chars;    /* the words' code points, one after another */
    Py_ssize_t n_chars, chars_capacity;
    int64_t *start;     /* per word: where its code points start in `chars`, */
    int32_t *length;    /* how many there are, */
    int32_t *row;       /* its row in the word table */
    uint64_t *hash;     /* and its hash */
    Py_ssize_t n_words, words_capacity;
    int32_t *slots;     /* open addressing: a word's number, or -1; a power of two, at most half full */
    uint64_t slot_mask;
} WordIndex;

/* FNV-1a over code points, from a seed drawn per process (from Python's own randomised str hash), so that no fixed
 * set of words can be made to collide everywhere. */
static uint64_t hash_seed = 0xcbf29ce484222325ULL;
static inline uint64_t word_hash_step(uint64_t h, uint32_t c) { return (h ^ c) * 0x100000001b3ULL; }
static inline uint64_t word_hash_end(uint64_t h) { return h ^ (h >> 29) ^ (h >> 47); }

static int word_index_grow_slots(WordIndex *self, uint64_t n_slots) {
    int32_t *slots = PyMem_Malloc((size_t)n_slots * sizeof(int32_t));
    if (slots == NULL)
        return -1;
    memset(slots, 0xFF, (size_t)n_slots * sizeof(int32_t));
    for (Py_ssize_t k = 0; k < self->n_words; k++) {
        uint64_t slot = self->hash[k] & (n_slots - 1);
        while (slots[slot] >= 0)
            slot = (slot + 1) & (n_slots - 1);
        slots[slot] = (int32_t)k;
    }
    PyMem_Free(self->slots);
    self->slots = slots;
    self->slot_mask = n_slots - 1;
    return 0;
}

static PyObject *word_index_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    if (PyTuple_GET_SIZE(args) || (kwargs != NULL && PyDict_GET_SIZE(kwargs))) {
        PyErr_SetString(PyExc_TypeError, "WordIndex() takes no arguments");
        return NULL;
    }
    WordIndex *self = (WordIndex *)type->tp_alloc(type, 0);
    if (self != NULL && word_index_grow_slots(self, 1024) < 0) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    return (PyObject *)self;
}

static void word_index_dealloc(WordIndex *self) {
    PyMem_Free(self->chars);
    PyMem_Free(self->start);
    PyMem_Free(self->length);
    PyMem_Free(self->row);
    PyMem_Free(self->hash);
    PyMem_Free(self->slots);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* The code point at i of a str's data of the given kind. */
static inline uint32_t code_point(int kind, const void *data, Py_ssize_t i) { return (uint32_t)PyUnicode_READ(kind, data, i); }

/* The word's number, or -1. */
static Py_ssize_t word_index_find(const WordIndex *self, int kind, const void *data, Py_ssize_t start, Py_ssize_t length, uint64_t hash) {
    for (uint64_t slot = hash & self->slot_mask;; slot = (slot + 1) & self->slot_mask) {
        int32_t k = self->slots[slot];
        if (k < 0)
            return -1;
        if (self->hash[k] != hash || self->length[k] != length)
            continue;
        const uint32_t *chars = self->chars + self->start[k];
        Py_ssize_t i = 0;
        while (i < length && chars[i] == code_point(kind, data, start + i))
            i++;
        if (i == length)
            return k;
    }
}

static uint64_t hash_of(int kind, const void *data, Py_ssize_t start, Py_ssize_t length) {
    uint64_t h = hash_seed;
    for (Py_ssize_t i = 0; i < length; i++)
        h = word_hash_step(h, code_point(kind, data, start + i));
    return word_hash_end(h);
}

PyDoc_STRVAR(word_index_add_doc, "add(word, row)\n--\n\nRemember that `word` (a str) is `row` (an int >= 0).");

static PyObject *word_index_add(WordIndex *self, PyObject *args) {
    PyObject *word;
    Py_ssize_t row;
    if (!PyArg_ParseTuple(args, "Un", &word, &row))
        return NULL;
    if (row < 0 || row > INT32_MAX || self->n_words >= INT32_MAX / 2) {
        PyErr_SetString(PyExc_ValueError, "WordIndex.add: the row is out of range, or the index is full");
        return NULL;
    }
    int kind = PyUnicode_KIND(word);
    const void *data = PyUnicode_DATA(word);
    Py_ssize_t length = PyUnicode_GET_LENGTH(word);
    if (length > INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "WordIndex.add: the word is too long");
        return NULL;
    }
    uint64_t hash = hash_of(kind, data, 0, length);
    Py_ssize_t found = word_index_find(self, kind, data, 0, length, hash);
    if (found >= 0) {
        self->row[found] = (int32_t)row;
        Py_RETURN_NONE;
    }
    if (self->n_chars + length > self->chars_capacity) {
        Py_ssize_t capacity = (self->n_chars + length) * 2 + 4096;
        uint32_t *chars = PyMem_Realloc(self->chars, (size_t)capacity * sizeof(uint32_t));
        if (chars == NULL)
            return PyErr_NoMemory();
        self->chars = chars;
        self->chars_capacity = capacity;
    }
    if (self->n_words == self->words_capacity) {
        Py_ssize_t capacity = self->words_capacity * 2 + 1024;
        int64_t *start = PyMem_Realloc(self->start, (size_t)capacity * sizeof(int64_t));
        if (start != NULL)
            self->start = start;
        int32_t *lengths = start ? PyMem_Realloc(self->length, (size_t)capacity * sizeof(int32_t)) : NULL;
        if (lengths != NULL)
            self->length = lengths;
        int32_t *rows = lengths ? PyMem_Realloc(self->row, (size_t)capacity * sizeof(int32_t)) : NULL;
        if (rows != NULL)
            self->row = rows;
        uint64_t *hashes = rows ? PyMem_Realloc(self->hash, (size_t)capacity * sizeof(uint64_t)) : NULL;
        if (hashes == NULL)
            return PyErr_NoMemory();
        self->hash = hashes;
        self->words_capacity = capacity;
    }
    if ((uint64_t)(self->n_words + 1) * 2 > self->slot_mask + 1 && word_index_grow_slots(self, (self->slot_mask + 1) * 2) < 0)
        return PyErr_NoMemory();
    Py_ssize_t k = self->n_words++;
    self->start[k] = self->n_chars;
    self->length[k] = (int32_t)length;
    self->row[k] = (int32_t)row;
    self->hash[k] = hash;
    for (Py_ssize_t i = 0; i < length; i++)
        self->chars[self->n_chars++] = code_point(kind, data, i);
    uint64_t slot = hash & self->slot_mask;
    while (self->slots[slot] >= 0)
        slot = (slot + 1) & self->slot_mask;
    self->slots[slot] = (int32_t)k;
    Py_RETURN_NONE;
}

static inline int is_space(int kind, uint32_t c) { return kind == PyUnicode_1BYTE_KIND ? latin1_space[c] : Py_UNICODE_ISSPACE(c); }

PyDoc_STRVAR(word_index_rows_doc,
             "rows(texts)\n--\n\n"
             "The rows of the words of the texts (str, lower-cased; words as str.split() finds them), texts separated by\n"
             "row 0: (a bytearray of int32, [(position, word) for each word not in the index, its row left 0]).");

static PyObject *word_index_rows(WordIndex *self, PyObject *args) {
    PyObject *texts;
    if (!PyArg_ParseTuple(args, "O!", &PyList_Type, &texts))
        return NULL;
    /* A tuple of the texts holds them while they are read: making a str for a new word can run Python code (the
     * garbage collector's callbacks) that changes the list. */
    PyObject *held = PyList_AsTuple(texts), *missing = PyList_New(0), *out = NULL, *result = NULL;
    int32_t *row_of = NULL;
    Py_ssize_t n = 0, capacity = 0;
    if (held == NULL || missing == NULL)
        goto done;
    for (Py_ssize_t t = 0; t < PyTuple_GET_SIZE(held); t++) {
        PyObject *text = PyTuple_GET_ITEM(held, t);
        if (!PyUnicode_Check(text)) {
            PyErr_SetString(PyExc_TypeError, "WordIndex.rows: texts must be str");
            goto done;
        }
        int kind = PyUnicode_KIND(text);
        const void *data = PyUnicode_DATA(text);
        Py_ssize_t length = PyUnicode_GET_LENGTH(text);
        if (n + 2 + length / 2 > capacity) { /* room for a separator and every word (at most one per two characters, plus one) */
            capacity = (n + 2 + length / 2) * 2;
            int32_t *grown = PyMem_Realloc(row_of, (size_t)capacity * sizeof(int32_t));
            if (grown == NULL) {
                PyErr_NoMemory();
                goto done;
            }
            row_of = grown;
        }
        if (t > 0)
            row_of[n++] = 0;
        Py_ssize_t i = 0;
        while (1) {
            while (i < length && is_space(kind, code_point(kind, data, i)))
                i++;
            if (i == length)
                break;
            Py_ssize_t start = i;
            uint64_t h = hash_seed;
            for (uint32_t c; i < length && !is_space(kind, c = code_point(kind, data, i)); i++)
                h = word_hash_step(h, c);
            Py_ssize_t found = word_index_find(self, kind, data, start, i - start, word_hash_end(h));
            if (found < 0) {
                PyObject *word = PyUnicode_Substring(text, start, i);
                PyObject *entry = word ? Py_BuildValue("(nN)", n, word) : NULL;
                int failed = entry == NULL || PyList_Append(missing, entry) < 0;
                Py_XDECREF(entry);
                if (failed)
                    goto done;
            }
            row_of[n++] = found < 0 ? 0 : self->row[found];
        }
    }
    out = PyByteArray_FromStringAndSize((const char *)row_of, n * (Py_ssize_t)sizeof(int32_t));
    if (out != NULL)
        result = PyTuple_Pack(2, out, missing);
done:
    Py_XDECREF(out);
    Py_XDECREF(missing);
    Py_XDECREF(held);
    PyMem_Free(row_of);
    return result;
}

PyDoc_STRVAR(word_index_add_all_doc, "add_all(words, first_row)\n--\n\nadd(word, first_row + k) for the k-th word of the list `words`.");

static PyObject *word_index_add_all(WordIndex *self, PyObject *args) {
    PyObject *words;
    Py_ssize_t first_row;
    if (!PyArg_ParseTuple(args, "O!n", &PyList_Type, &words, &first_row))
        return NULL;
    PyObject *held = PyList_AsTuple(words); /* (adding runs no Python code, but the list is not ours) */
    if (held == NULL)
        return NULL;
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(held); k++) {
        PyObject *pair = Py_BuildValue("(On)", PyTuple_GET_ITEM(held, k), first_row + k);
        PyObject *done = pair ? word_index_add(self, pair) : NULL;
        Py_XDECREF(pair);
        if (done == NULL) {
            Py_DECREF(held);
            return NULL;
        }
        Py_DECREF(done);
    }
    Py_DECREF(held);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(word_index_char_columns_doc,
             "char_columns(word, low, high, offset)\n--\n\n"
             "offset + row (bytes of int32) for each character n-gram of the space-padded word that the index holds as\n"
             "`row`, in features._char_ngrams_uncached's order (scikit-learn's char_wb): an index of a character vocabulary\n"
             "made with add_all(vocabulary, 0) gives the vocabulary's columns, with no str made per n-gram.");

static PyObject *word_index_char_columns(WordIndex *self, PyObject *args) {
    PyObject *word;
    Py_ssize_t low, high, offset;
    if (!PyArg_ParseTuple(args, "Unnn", &word, &low, &high, &offset))
        return NULL;
    if (low < 1 || high < low || offset < 0 || offset > INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "char_columns: need 1 <= low <= high and 0 <= offset < 2**31");
        return NULL;
    }
    PyObject *padded = PyUnicode_FromFormat(" %U ", word), *out = NULL;
    int32_t *columns = NULL;
    Py_ssize_t n_columns = 0, capacity = 0;
    if (padded == NULL)
        return NULL;
    int kind = PyUnicode_KIND(padded);
    const void *data = PyUnicode_DATA(padded);
    Py_ssize_t length = PyUnicode_GET_LENGTH(padded);
    for (Py_ssize_t n = low; n <= high; n++) {
        /* Every window of n characters; a padded word shorter than n is one n-gram, the whole of it, and the last. */
        Py_ssize_t last_start = length > n ? length - n : 0, size = n < length ? n : length;
        for (Py_ssize_t start = 0; start <= last_start; start++) {
            Py_ssize_t found = word_index_find(self, kind, data, start, size, hash_of(kind, data, start, size));
            if (found < 0)
                continue;
            int64_t column = self->row[found];
            if (column < 0 || column > INT32_MAX - offset) {
                PyErr_SetString(PyExc_ValueError, "char_columns: a column is out of range");
                goto done;
            }
            if (n_columns == capacity) {
                capacity = capacity * 2 + 32;
                int32_t *grown = PyMem_Realloc(columns, (size_t)capacity * sizeof(int32_t));
                if (grown == NULL) {
                    PyErr_NoMemory();
                    goto done;
                }
                columns = grown;
            }
            columns[n_columns++] = (int32_t)(column + offset);
        }
        if (last_start == 0)
            break;
    }
    out = PyBytes_FromStringAndSize((const char *)columns, n_columns * (Py_ssize_t)sizeof(int32_t));
done:
    Py_DECREF(padded);
    PyMem_Free(columns);
    return out;
}

static Py_ssize_t word_index_len(WordIndex *self) { return self->n_words; }

static PyMethodDef word_index_methods[] = {
    {"add", (PyCFunction)word_index_add, METH_VARARGS, word_index_add_doc},
    {"rows", (PyCFunction)word_index_rows, METH_VARARGS, word_index_rows_doc},
    {"add_all", (PyCFunction)word_index_add_all, METH_VARARGS, word_index_add_all_doc},
    {"char_columns", (PyCFunction)word_index_char_columns, METH_VARARGS, word_index_char_columns_doc},
    {NULL, NULL, 0, NULL},
};

static PySequenceMethods word_index_as_sequence = {.sq_length = (lenfunc)word_index_len};

static PyTypeObject WordIndexType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "themetag._featurize.WordIndex",
    .tp_basicsize = sizeof(WordIndex),
    .tp_dealloc = (destructor)word_index_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = PyDoc_STR("WordIndex()\n--\n\nStrings to ints (words to word-table rows, character n-grams to columns), found by code points."),
    .tp_methods = word_index_methods,
    .tp_as_sequence = &word_index_as_sequence,
    .tp_new = word_index_new,
};

static PyMethodDef methods[] = {
    {"sparse_dot", sparse_dot, METH_VARARGS, sparse_dot_doc},
    {"feature_rows", (PyCFunction)(void (*)(void))feature_rows, METH_VARARGS | METH_KEYWORDS, feature_rows_doc},
    {"hash_index", hash_index, METH_VARARGS, hash_index_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "themetag._featurize", "FeatureSpace.transform's counting and weighting, in C.", -1, methods};

PyMODINIT_FUNC PyInit__featurize(void) {
    for (int c = 0; c < 256; c++)
        latin1_space[c] = (uint8_t)Py_UNICODE_ISSPACE(c);
    PyObject *probe = PyUnicode_FromString("themetag word index");
    Py_hash_t seed = probe ? PyObject_Hash(probe) : -1;
    Py_XDECREF(probe);
    if (seed == -1)
        return NULL;
    hash_seed ^= (uint64_t)seed;
    if (PyType_Ready(&WordIndexType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddObjectRef(m, "WordIndex", (PyObject *)&WordIndexType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    /* features.py checks this, so that a module left from an older build is not called with other arguments */
    if (m != NULL && PyModule_AddIntConstant(m, "INTERFACE", THEMETAG_FEATURIZE_INTERFACE) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
