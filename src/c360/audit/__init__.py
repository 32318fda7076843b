"""The access audit: who looked at which customer's data, when, and why.

Every read of a customer through the API is recorded (``recorder.AccessRecorder``),
batched off the request path; ``Customer.accessLog`` and ``c360 audit export`` read it
back, so a bank can answer a customer's "who looked at my data".
"""
