/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "helper.h"
#include "log.h"
#include "manager.h"

typedef struct HelperJob {
	HelperFn work, done;
	void *userdata;
	struct HelperJob *next;
} HelperJob;

struct Helper {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	HelperJob *queue, **queue_tail; /* to do */
	HelperJob *finished, **finished_tail; /* done callbacks for the main loop */
	int efd;
	bool stop, started;
	sd_event_source *source;
};

static void push(HelperJob ***tail, HelperJob *j)
{
	j->next = NULL;
	**tail = j;
	*tail = &j->next;
}

static void *helper_main(void *userdata)
{
	Manager *m = userdata;
	Helper *h = m->helper;
	uint64_t one = 1;

	pthread_mutex_lock(&h->lock);
	for (;;) {
		HelperJob *j;

		while (!h->queue && !h->stop)
			pthread_cond_wait(&h->cond, &h->lock);
		if (!h->queue)
			break;
		j = h->queue;
		h->queue = j->next;
		if (!h->queue)
			h->queue_tail = &h->queue;
		pthread_mutex_unlock(&h->lock);
		j->work(m, j->userdata);
		pthread_mutex_lock(&h->lock);
		push(&h->finished_tail, j);
		if (write(h->efd, &one, sizeof(one)) < 0)
			log_ctx(NULL, LOG_ERR, "Cannot wake the agent's main loop: %m");
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

static void run_finished(Manager *m)
{
	Helper *h = m->helper;
	HelperJob *list;

	pthread_mutex_lock(&h->lock);
	list = h->finished;
	h->finished = NULL;
	h->finished_tail = &h->finished;
	pthread_mutex_unlock(&h->lock);
	while (list) {
		HelperJob *j = list;

		list = j->next;
		if (j->done)
			j->done(m, j->userdata);
		free(j);
	}
}

static int on_helper(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	uint64_t n;

	(void)s, (void)revents;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return 0;
	run_finished(userdata);
	return 0;
}

bool test_hold_armed(void)
{
	const char *path = getenv("LXCNET_TEST_HOLD");

	return path && access(path, F_OK) >= 0;
}

void test_hold(void)
{
	for (unsigned i = 0; i < 1000 && test_hold_armed(); i++)
		(void)poll(NULL, 0, 10);
}

int helper_submit(Manager *m, HelperFn work, HelperFn done, void *userdata)
{
	Helper *h = m->helper;
	HelperJob *j = calloc(1, sizeof(*j));

	if (!j)
		return -ENOMEM;
	*j = (HelperJob){ .work = work, .done = done, .userdata = userdata };
	pthread_mutex_lock(&h->lock);
	push(&h->queue_tail, j);
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->lock);
	return 0;
}

int helper_init(Manager *m)
{
	Helper *h = calloc(1, sizeof(*h));
	int r;

	if (!h)
		return -ENOMEM;
	m->helper = h;
	h->efd = -1;
	h->queue_tail = &h->queue;
	h->finished_tail = &h->finished;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	h->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (h->efd < 0)
		return negative_errno();
	r = sd_event_add_io(m->event, &h->source, h->efd, EPOLLIN, on_helper, m);
	if (r < 0)
		return r;
	r = pthread_create(&h->thread, NULL, helper_main, m);
	if (r != 0)
		return -r;
	h->started = true;
	return 0;
}

void helper_stop(Manager *m)
{
	Helper *h = m->helper;

	if (!h)
		return;
	if (h->started) {
		pthread_mutex_lock(&h->lock);
		h->stop = true;
		pthread_cond_signal(&h->cond);
		pthread_mutex_unlock(&h->lock);
		pthread_join(h->thread, NULL);
		run_finished(m);
	}
	sd_event_source_disable_unref(h->source);
	if (h->efd >= 0)
		close(h->efd);
	pthread_mutex_destroy(&h->lock);
	pthread_cond_destroy(&h->cond);
	free(h);
	m->helper = NULL;
}
