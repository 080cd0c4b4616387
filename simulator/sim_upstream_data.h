/* sim_upstream_data.h — canned upstream simulator v0.5.11 quote and event log (data). */
#ifndef SIM_UPSTREAM_DATA_H
#define SIM_UPSTREAM_DATA_H

#include <stddef.h>

extern const unsigned char SIM_UPSTREAM_QUOTE[];
extern const size_t SIM_UPSTREAM_QUOTE_LEN;
/* JSON text of the event log array, exactly as upstream's GetQuote returns it. */
extern const char SIM_UPSTREAM_EVENT_LOG[];
extern const size_t SIM_UPSTREAM_EVENT_LOG_LEN;

#endif
