import sys

print(f"would extract the tables of {sys.argv[1]}")
