/*
 * A small test harness for guest test programs: a suite is a list of cases,
 * each case a function making EXPECT_* checks.  Every case prints one line
 * ("ok <suite>.<case>" or "FAIL <suite>.<case>: <first failed check>") and a
 * run ends with "N passed, M failed".
 */
#ifndef _CHECK_H_
#define _CHECK_H_

#include <stdint.h>

typedef struct {
    const char *name;
    void (*run)(void);
} check_case_t;

typedef struct {
    const char *name;
    const check_case_t *cases;
    int ncases;
} check_suite_t;

#define CHECK_SUITE(var, suite_name, ...)                                                  \
    static const check_case_t var##_cases[] = {__VA_ARGS__};                              \
    const check_suite_t var = {suite_name, var##_cases, sizeof(var##_cases) / sizeof(var##_cases[0])}
#define CHECK_CASE(fn) {#fn, fn}

/* Records a failed check of the running case (only the first one is printed). */
void check_fail(int line, const char *what, uint64_t got, uint64_t want);
/* Whether the running case has failed so far. */
int check_case_failed(void);

#define EXPECT_EQ(got, want)                                                               \
    do {                                                                                   \
        uint64_t got_ = (uint64_t)(got), want_ = (uint64_t)(want);                        \
        if (got_ != want_)                                                                 \
            check_fail(__LINE__, #got, got_, want_);                                       \
    } while (0)
#define EXPECT_TRUE(cond) EXPECT_EQ(!!(cond), 1)
/* Ends the case at once when `got` differs (later checks would only cascade). */
#define REQUIRE_EQ(got, want)                                                              \
    do {                                                                                   \
        EXPECT_EQ(got, want);                                                              \
        if (check_case_failed())                                                           \
            return;                                                                        \
    } while (0)

/* Runs the suites, prints a line per case and the summary line; returns the number failed. */
int check_run(const check_suite_t *const *suites, int nsuites);
/* main() of a test program: runs the suites and exits with status 1 if any case failed. */
__attribute__((noreturn)) void check_main(const check_suite_t *const *suites, int nsuites);

#endif
