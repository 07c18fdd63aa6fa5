package main

import (
	"fmt"
	"io"

	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// telemetryEnv names the environment variable that turns telemetry on.
const telemetryEnv = "ONBOARDKIT_OTEL"

// newTracerProvider returns the OpenTelemetry SDK's TracerProvider chosen
// by the value of ONBOARDKIT_OTEL, or nil for "" (no telemetry: every
// onboardkit span is a no-op). "stdout" prints every span to w as JSON,
// through the stdouttrace exporter.
//
// This is how a host plugs in an exporter: build the SDK's providers and
// either install them as the otel globals (run does, and every kit's
// Config.TracerProvider defaults to the global one) or pass them in each
// kit's Config. An OTLP exporter to a collector plugs in the same way; a
// MeterProvider (the SDK's sdk/metric with a reader and exporter) goes in
// otel.SetMeterProvider or Config.MeterProvider.
func newTracerProvider(value string, w io.Writer) (*sdktrace.TracerProvider, error) {
	switch value {
	case "":
		return nil, nil
	case "stdout":
		exp, err := stdouttrace.New(stdouttrace.WithWriter(w))
		if err != nil {
			return nil, fmt.Errorf("%s=stdout: %w", telemetryEnv, err)
		}
		return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp)), nil
	}
	return nil, fmt.Errorf("%s=%q: unknown exporter (want stdout, or unset for none)", telemetryEnv, value)
}
