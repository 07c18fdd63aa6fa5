package events_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/onboardkit/onboardkit/events"
)

// The Standard Webhooks test vector: a receiver's library computes the same.
func ExampleSign() {
	sig, err := events.Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
		time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sig)
	// Output: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
}

// A receiver checks each delivery before trusting it.
func ExampleVerify() {
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	body := []byte(`{"test": 2432232314}`)
	h := http.Header{}
	h.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
	received := time.Unix(1614265330+30, 0)

	fmt.Println(events.Verify(secret, h, body, received, 5*time.Minute))
	fmt.Println(events.Verify(secret, h, []byte(`{"test": 1}`), received, 5*time.Minute))
	fmt.Println(events.Verify(secret, h, body, received.Add(time.Hour), 5*time.Minute))
	// Output:
	// <nil>
	// events: webhook signature mismatch
	// events: webhook timestamp outside tolerance
}
