# xiaodian — common tasks. `make check` is what CI runs (.ci/run).
.PHONY: run demo test check generate bench build

run:
	go run .

demo:
	go run . demo

test:
	go test -race -count=1 -timeout 30m ./...

generate:
	go tool templ generate

build:
	go build -o xiaodian .

bench:
	go run . bench

check:
	bash .ci/run
