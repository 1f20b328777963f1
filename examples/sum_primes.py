#!/usr/bin/python3
# File: sum_primes.py
# Author: Vitalii Vanovschi
# Desc: This program demonstrates parallel computations with pp module
# It calculates the sum of prime numbers below a given integer in parallel
# Parallel Python Software: http://www.parallelpython.com
#
# Ported to Python 3 and pp-glib. Additions to the original program:
#  - an optional second argument, the first of the 8 inputs (default 100000;
#    the inputs are first, first+100, ..., first+700), so tests can run it
#    quickly;
#  - a final section, clearly separated, that runs the same 8 inputs serially
#    in this process (no pp) and prints the serial time and the speedup.

import math, sys, time
import pp

def isprime(n):
    """Returns True if n is prime and False otherwise"""
    if not isinstance(n, int):
        raise TypeError("argument passed to is_prime is not of 'int' type")
    if n < 2:
        return False
    if n == 2:
        return True
    max = int(math.ceil(math.sqrt(n)))
    i = 2
    while i <= max:
        if n % i == 0:
            return False
        i += 1
    return True

def sum_primes(n):
    """Calculates sum of all primes below given integer n"""
    return sum([x for x in range(2,n) if isprime(x)])

print("""Usage: python sum_primes.py [ncpus] [first]
    [ncpus] - the number of workers to run in parallel,
    if omitted it will be set to the number of processors in the system
    [first] - the first of the 8 inputs (default 100000)
""")

# tuple of all parallel python servers to connect with
ppservers = ()
#ppservers = ("10.0.0.1",)

if len(sys.argv) > 1:
    ncpus = int(sys.argv[1])
    # Creates jobserver with ncpus workers
    job_server = pp.Server(ncpus, ppservers=ppservers)
else:
    # Creates jobserver with automatically detected number of workers
    job_server = pp.Server(ppservers=ppservers)

first = int(sys.argv[2]) if len(sys.argv) > 2 else 100000

print("Starting pp with", job_server.get_ncpus(), "workers")

# Submit a job of calulating sum_primes(100) for execution.
# sum_primes - the function
# (100,) - tuple with arguments for sum_primes
# (isprime,) - tuple with functions on which function sum_primes depends
# ("math",) - tuple with module names which must be imported before sum_primes execution
# Execution starts as soon as one of the workers will become available
job1 = job_server.submit(sum_primes, (100,), (isprime,), ("math",))

# Retrieves the result calculated by job1
# The value of job1() is the same as sum_primes(100)
# If the job has not been finished yet, execution will wait here until result is available
result = job1()

print("Sum of primes below 100 is", result)

start_time = time.time()

# The following submits 8 jobs and then retrieves the results
inputs = tuple(first + 100 * k for k in range(8))  # (100000, 100100, ..., 100700)
jobs = [(input, job_server.submit(sum_primes,(input,), (isprime,), ("math",))) for input in inputs]
for input, job in jobs:
    print("Sum of primes below", input, "is", job())

parallel_time = time.time() - start_time
print("Time elapsed: ", parallel_time, "s")
job_server.print_stats()

# ---------------------------------------------------------------------------
# Not in the original: the same 8 inputs computed serially in this process,
# without pp, to show what the parallel run gained.
# ---------------------------------------------------------------------------
print()
print("--- serial comparison (single process, no pp) ---")
start_time = time.time()
for input in inputs:
    serial_result = sum_primes(input)
serial_time = time.time() - start_time
print("Serial time elapsed: ", serial_time, "s")
print("Parallel time elapsed: ", parallel_time, "s with",
      job_server.get_ncpus(), "workers")
print("Speedup: %.2fx" % (serial_time / parallel_time))

# Parallel Python Software: http://www.parallelpython.com
