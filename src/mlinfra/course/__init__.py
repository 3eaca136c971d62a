"""Course tooling: the question registry, the build, the classroom (nbgrader grading) and the benchmark.

Instructors, tests and scripts import this package; a student's kernel never does (it would load nbgrader).
The modules a notebook imports live one level up (``mlinfra.data``, ``mlinfra.models`` …).
"""
