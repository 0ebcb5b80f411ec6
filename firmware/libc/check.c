/* The guest test harness (include/check.h). */
#include <check.h>
#include <console.h>
#include <stdio.h>
#include <stdlib.h>

static int case_failed;
static char detail[160];

void check_fail(int line, const char *what, uint64_t got, uint64_t want)
{
    if (case_failed++ == 0)
        snprintf(detail, sizeof(detail), "line %d: %s = 0x%llx, expected 0x%llx", line, what,
                 (unsigned long long)got, (unsigned long long)want);
}

int check_case_failed(void)
{
    return case_failed != 0;
}

int check_run(const check_suite_t *const *suites, int nsuites)
{
    int passed = 0, failed = 0;
    for (int s = 0; s < nsuites; s++) {
        for (int c = 0; c < suites[s]->ncases; c++) {
            const check_case_t *tc = &suites[s]->cases[c];
            case_failed = 0;
            tc->run();
            if (case_failed) {
                printf("FAIL %s.%s: %s\n", suites[s]->name, tc->name, detail);
                failed++;
            } else {
                printf("ok %s.%s\n", suites[s]->name, tc->name);
                passed++;
            }
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    console_flush();
    return failed;
}

void check_main(const check_suite_t *const *suites, int nsuites)
{
    exit(check_run(suites, nsuites) ? 1 : 0);
}
