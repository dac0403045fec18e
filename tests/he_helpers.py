"""Shared by the threshold-key and study protocol tests: a fixed pair of safe primes, so that
dealing a key needs no prime search."""

# 256-bit safe primes (a 512-bit modulus: the smallest the key format accepts).
P256 = 114185759170404468448496651015592063491451041100806729029750460065710356981687
Q256 = 89883882341163219590644692880232847588068112358592817604858568959609260177743
