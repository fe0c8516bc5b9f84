// Kalam's worker pool: a parallel for-loop whose workers spin briefly before they sleep, so the short
// gaps between the products of a decoding step or a training step do not pay a thread wake-up each
// (libdispatch's workers sleep at once; waking one costs tens of microseconds on a virtual machine,
// and a 124M-parameter decoding step has 49 parallel products).
//
// A job lives on the caller's stack. The caller publishes it under the pool's lock, takes part in
// it, waits until every item is done, unpublishes it under the lock and waits until no worker still
// holds it. Workers take a reference to the job only under the lock, so none can touch a job after
// it is gone. Items are claimed with an atomic counter; which thread runs an item never changes what
// the item computes.

#include "kalam_kernels.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#if defined(__x86_64__) || defined(__i386__)
#define KALAM_PAUSE() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define KALAM_PAUSE() __asm__ volatile("yield")
#else
#define KALAM_PAUSE() ((void)0)
#endif

enum { MAX_WORKERS = 63, SPIN_ROUNDS = 4000 };

struct job {
    kalam_task_fn fn;
    void *context;
    long count;
    int participants;  // workers with an index below this take part (the caller is the other one)
    _Atomic long next, done;
    _Atomic int holders;
};

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_wake = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t submit_lock = PTHREAD_MUTEX_INITIALIZER;
static struct job *current_job = NULL;  // under pool_lock
static long generation = 0;             // under pool_lock
static _Atomic long published = 0;      // generation, for spinning without the lock
static int workers = 0;                 // under pool_lock
static _Atomic int sleepers = 0;
static _Thread_local int inside_pool = 0;

static void run_items(struct job *job) {
    for (;;) {
        long i = atomic_fetch_add_explicit(&job->next, 1, memory_order_relaxed);
        if (i >= job->count) return;
        job->fn(job->context, i);
        atomic_fetch_add_explicit(&job->done, 1, memory_order_release);
    }
}

static void *worker_main(void *argument) {
    int index = (int)(long)argument;
    inside_pool = 1;
    long seen = 0;
    for (;;) {
        int spins = 0;
        while (atomic_load_explicit(&published, memory_order_acquire) == seen && spins < SPIN_ROUNDS) {
            KALAM_PAUSE();
            spins++;
        }
        pthread_mutex_lock(&pool_lock);
        if (generation == seen) {
            atomic_fetch_add(&sleepers, 1);
            while (generation == seen) pthread_cond_wait(&pool_wake, &pool_lock);
            atomic_fetch_sub(&sleepers, 1);
        }
        seen = generation;
        struct job *job = current_job;
        if (job && index < job->participants) {
            atomic_fetch_add_explicit(&job->holders, 1, memory_order_relaxed);
        } else {
            job = NULL;
        }
        pthread_mutex_unlock(&pool_lock);
        if (job) {
            run_items(job);
            atomic_fetch_sub_explicit(&job->holders, 1, memory_order_release);
        }
    }
    return NULL;
}

void kalam_parallel_for(long count, int threads, kalam_task_fn fn, void *context) {
    if (count <= 0) return;
    int helpers = threads - 1;
    if (helpers > MAX_WORKERS) helpers = MAX_WORKERS;
    if (helpers > count - 1) helpers = (int)(count - 1);
    // Inline when there is no one to share with, from inside a job (nested loops), or while another
    // thread's job is running.
    if (helpers <= 0 || inside_pool || pthread_mutex_trylock(&submit_lock) != 0) {
        for (long i = 0; i < count; i++) fn(context, i);
        return;
    }
    pthread_mutex_lock(&pool_lock);
    while (workers < helpers) {
        pthread_t thread;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        int failed = pthread_create(&thread, &attributes, worker_main, (void *)(long)workers);
        pthread_attr_destroy(&attributes);
        if (failed) break;
        workers++;
    }
    if (helpers > workers) helpers = workers;
    struct job job = {.fn = fn, .context = context, .count = count, .participants = helpers};
    atomic_init(&job.next, 0);
    atomic_init(&job.done, 0);
    atomic_init(&job.holders, 0);
    current_job = &job;
    generation++;
    atomic_store_explicit(&published, generation, memory_order_release);
    if (atomic_load(&sleepers) > 0) pthread_cond_broadcast(&pool_wake);
    pthread_mutex_unlock(&pool_lock);

    inside_pool = 1;
    run_items(&job);
    inside_pool = 0;
    while (atomic_load_explicit(&job.done, memory_order_acquire) < count) KALAM_PAUSE();
    pthread_mutex_lock(&pool_lock);
    current_job = NULL;
    pthread_mutex_unlock(&pool_lock);
    while (atomic_load_explicit(&job.holders, memory_order_acquire) > 0) KALAM_PAUSE();
    pthread_mutex_unlock(&submit_lock);
}
