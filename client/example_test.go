package client_test

import (
	"context"
	"fmt"
	"log"

	"github.com/faceprint/faceprint/client"
)

// A business backend's whole integration: create a verify_token, send the
// user to the H5 page, and read the result server-side after the redirect.
func Example() {
	ctx := context.Background()
	c := client.New("https://faceprint.example.com", "API_KEY", "SECRET_KEY")

	tok, err := c.GenerateVerifyToken(ctx, client.GenerateRequest{PlanID: "1"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("redirect the user to", c.H5URL(tok, "https://shop.example.com/kyc/ok", "https://shop.example.com/kyc/failed"))

	// Later, when the user lands on the success or failure URL:
	res, err := c.ResultDetail(ctx, tok)
	switch {
	case client.IsNotFinished(err):
		fmt.Println("the user has not finished yet")
	case client.IsVerifyTokenInvalid(err):
		fmt.Println("unknown or expired verify_token")
	case err != nil:
		log.Fatal(err)
	default:
		fmt.Printf("%s: similarity %.1f\n", res.IDCardConfirm.Name, res.VerifyResult.Score)
	}
}

func ExampleH5URL() {
	fmt.Println(client.H5URL("https://faceprint.example.com", "Yz9rWITm4vak16PBAh5x8oG7", "https://shop.example.com/ok", ""))
	// Output: https://faceprint.example.com/face/print/?token=Yz9rWITm4vak16PBAh5x8oG7&successUrl=https%3A%2F%2Fshop.example.com%2Fok
}
