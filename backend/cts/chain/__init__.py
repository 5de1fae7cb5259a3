"""Talking to the chain: contract artifacts written by `brownie compile`, local nodes, deployments."""
