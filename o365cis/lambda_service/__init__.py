"""The AWS Lambda service: a request function that validates and queues a scan, a scan function that runs it.

`lambda_handler.py` at the repository root holds the two entry points; everything behind them lives here:
`events` (input validation), `logs` (JSON log lines), `status` (the DynamoDB record), `mailer` (the emailed
report), `invoker` (the asynchronous hand-over), `scan_step` (the pytest run), and `handlers` (the flow).
Every object is built per invocation: nothing about a tenant survives in a warm process.
"""
