/* The test harness itself (include/check.h): one passing and one failing case, so the run must exit 1. */
#include <check.h>

static void passes(void)
{
    EXPECT_EQ(2 + 2, 4);
}

static void fails(void)
{
    EXPECT_EQ(2 + 2, 5);
    EXPECT_EQ(1, 0);                                  /* only the first failed check is printed */
}

CHECK_SUITE(self_suite, "check_self", CHECK_CASE(passes), CHECK_CASE(fails));

int main(void)
{
    const check_suite_t *suites[] = {&self_suite};
    check_main(suites, 1);
}
