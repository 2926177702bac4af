/* test_status.c: who may read /metrics (api/status.c). */
#include "api/status.h"
#include "t.h"

T_TEST(metrics_lan_only)
{
	static const char *const yes[] = { "127.0.0.1:5000", "10.1.2.3:1",
	    "172.16.0.9:443", "172.31.255.1:2", "192.168.1.20:80",
	    "169.254.3.4:9", "[::1]:8443", "[fd12:3456::1]:1",
	    "[fe80::1]:2", "[::ffff:192.168.0.5]:3", "127.0.0.1" };
	static const char *const no[] = { "8.8.8.8:53", "172.32.0.1:1",
	    "192.169.0.1:1", "[2001:db8::1]:443", "[::ffff:8.8.8.8]:1",
	    "", "garbage", "[::1", "11.0.0.1:1" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		T_EQ_INT(api_metrics_addr_ok(yes[i]), 1);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		T_EQ_INT(api_metrics_addr_ok(no[i]), 0);
	T_EQ_INT(api_metrics_addr_ok(NULL), 0);
}

T_MAIN()
