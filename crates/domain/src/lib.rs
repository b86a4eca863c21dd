//! Customers, cases, states, roles and access policy: pure logic, no I/O.
