// Package store is xiaodian's persistence layer: SQLite through database/sql,
// the embedded schema migrations, the domain types (Product, SKU, Category...)
// and the business rules that must hold inside one transaction.
//
// It is the only package that imports database/sql. Handlers talk to it in
// domain types; it never knows about HTTP.
package store
