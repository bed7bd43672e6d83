package cli

import (
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/faceprint/faceprint/internal/admin"
	"github.com/faceprint/faceprint/internal/plan"
)

func init() {
	register(newAppCmd)
	register(newPlanCmd)
	register(newRegistryCmd)
}

func yamlToMap(data []byte, m *map[string]any) error {
	if err := yaml.Unmarshal(data, m); err != nil {
		return fmt.Errorf("plan file: %w", err)
	}
	return nil
}

// withAdmin runs fn with admin operations opened per the flags.
func withAdmin(env *Env, f *adminFlags, cmd *cobra.Command, fn func(ops adminOps) error) error {
	ops, err := f.open(cmd.Context(), env)
	if err != nil {
		return err
	}
	defer ops.Close()
	return fn(ops)
}

func newAppCmd(env *Env) *cobra.Command {
	var f adminFlags
	cmd := &cobra.Command{Use: "app", Short: "Manage API clients (API Key / Secret Key)"}
	f.bind(cmd)
	var name string
	var qps int
	create := &cobra.Command{Use: "create", Short: "Create an app; prints its secret once", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withAdmin(env, &f, cmd, func(ops adminOps) error {
				n, err := ops.CreateApp(cmd.Context(), name, qps)
				if err != nil {
					return err
				}
				if env.Output == "json" {
					return env.PrintJSON(n)
				}
				fmt.Fprintf(env.Stdout, "app_id:     %s\napi_key:    %s\nsecret_key: %s\n(the secret key is shown only now; it is stored hashed)\n", n.AppID, n.APIKey, n.SecretKey)
				return nil
			})
		}}
	create.Flags().StringVar(&name, "name", "", "app name")
	create.Flags().IntVar(&qps, "qps", 0, "requests per second per replica (0: the server default)")
	list := &cobra.Command{Use: "list", Short: "List apps", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withAdmin(env, &f, cmd, func(ops adminOps) error {
				apps, err := ops.ListApps(cmd.Context())
				if err != nil || env.Output == "json" {
					if err != nil {
						return err
					}
					return env.PrintJSON(apps)
				}
				tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "APP_ID\tNAME\tAPI_KEY\tDISABLED\tCREATED")
				for _, a := range apps {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%s\n", a.AppID, a.Name, a.APIKey, a.Disabled, a.CreatedAt.Format("2006-01-02 15:04"))
				}
				return tw.Flush()
			})
		}}
	show := &cobra.Command{Use: "show APP_ID", Short: "Show an app", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAdmin(env, &f, cmd, func(ops adminOps) error {
				a, err := ops.ShowApp(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				return env.PrintJSON(a)
			})
		}}
	rotate := &cobra.Command{Use: "rotate-secret APP_ID", Short: "Issue a new Secret Key and revoke the app's access tokens", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAdmin(env, &f, cmd, func(ops adminOps) error {
				n, err := ops.RotateSecret(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				return env.PrintJSON(n)
			})
		}}
	var enable bool
	disable := &cobra.Command{Use: "disable APP_ID", Short: "Disable an app (revokes its tokens); --enable re-enables it", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAdmin(env, &f, cmd, func(ops adminOps) error {
				a, err := ops.SetDisabled(cmd.Context(), args[0], !enable)
				if err != nil {
					return err
				}
				return env.PrintJSON(a)
			})
		}}
	disable.Flags().BoolVar(&enable, "enable", false, "re-enable instead")
	whsec := &cobra.Command{Use: "webhook-secret APP_ID", Short: "Show the key the app's plan callbacks are signed with", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAdmin(env, &f, cmd, func(ops adminOps) error {
				v, err := ops.WebhookSecret(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				return env.PrintJSON(v)
			})
		}}
	tc := &cobra.Command{Use: "tencent-credentials APP_ID", Short: "Show the app's Tencent Cloud FaceID SecretId/SecretKey (TC3 signing; change with rotate-secret)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAdmin(env, &f, cmd, func(ops adminOps) error {
				v, err := ops.TencentCredentials(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				return env.PrintJSON(v)
			})
		}}
	cmd.AddCommand(create, list, show, rotate, disable, whsec, tc, newAlibabaCredsCmd(env, &f))
	return cmd
}

// planFlags are the plan settings that can be given as flags; they override --file.
type planFlags struct {
	file                                                  string
	identityInput, cardSides, compareSource, authority    string
	livenessMode, livenessLevel, language, title, consent string
	threshold                                             float64
	maxAttempts                                           int
	redirectAllow                                         []string
	invalidateOnFailure                                   bool
}

func (p *planFlags) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&p.file, "file", "", "plan options as YAML or JSON (see docs/plan.example.yaml)")
	fl.StringVar(&p.identityInput, "identity-input", "", "ocr | manual | submitted")
	fl.StringVar(&p.cardSides, "card-sides", "", "front | front_back")
	fl.StringVar(&p.compareSource, "compare-source", "", "idcard | uploaded | registry | authority | none")
	fl.StringVar(&p.authority, "authority", "", "authority name for compare-source authority")
	fl.StringVar(&p.livenessMode, "liveness", "", "action | flash | silent | nearfar | none")
	fl.StringVar(&p.livenessLevel, "liveness-level", "", "strict | normal | loose")
	fl.StringVar(&p.language, "language", "", "zh | en")
	fl.StringVar(&p.title, "title", "", "title shown in the H5 pages")
	fl.StringVar(&p.consent, "consent", "", "consent text")
	fl.Float64Var(&p.threshold, "threshold", 0, "similarity threshold 0–100 (default 80)")
	fl.IntVar(&p.maxAttempts, "max-attempts", 0, "attempts per verify token (default 3)")
	fl.StringSliceVar(&p.redirectAllow, "redirect-allow", nil, "origins allowed as successUrl/failedUrl query overrides")
	fl.BoolVar(&p.invalidateOnFailure, "invalidate-on-failure", false, "a failed attempt ends the session (认证未通过时URL失效)")
}

// document returns the options document (file + flags) as YAML bytes.
func (p *planFlags) document(cmd *cobra.Command) ([]byte, error) {
	m := map[string]any{}
	if p.file != "" {
		b, err := os.ReadFile(p.file)
		if err != nil {
			return nil, err
		}
		if err := yamlToMap(b, &m); err != nil {
			return nil, err
		}
		if m == nil {
			m = map[string]any{}
		}
	}
	set := func(flag, key string, v any) {
		if cmd.Flags().Changed(flag) {
			m[key] = v
		}
	}
	live := map[string]any{}
	if l, ok := m["liveness"].(map[string]any); ok {
		live = l
	}
	set("identity-input", "identity_input", p.identityInput)
	set("card-sides", "card_sides", p.cardSides)
	set("compare-source", "compare_source", p.compareSource)
	set("authority", "authority", p.authority)
	set("language", "language", p.language)
	set("title", "title", p.title)
	set("consent", "consent_text", p.consent)
	set("threshold", "similarity_threshold", p.threshold)
	set("max-attempts", "max_attempts", p.maxAttempts)
	set("redirect-allow", "redirect_allow_list", p.redirectAllow)
	set("invalidate-on-failure", "invalidate_on_failure", p.invalidateOnFailure)
	if cmd.Flags().Changed("liveness") {
		live["mode"] = p.livenessMode
	}
	if cmd.Flags().Changed("liveness-level") {
		live["level"] = p.livenessLevel
	}
	if len(live) > 0 {
		m["liveness"] = live
	}
	if len(m) == 0 {
		return nil, nil
	}
	return yaml.Marshal(m)
}

func newPlanCmd(env *Env) *cobra.Command {
	var f adminFlags
	cmd := &cobra.Command{Use: "plan", Short: "Manage verification plans (方案)"}
	f.bind(cmd)
	var pf planFlags
	var appID, name string
	create := &cobra.Command{Use: "create", Short: "Create a plan", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			doc, err := pf.document(cmd)
			if err != nil {
				return err
			}
			o := plan.Defaults()
			if doc != nil {
				if o, err = admin.ParseOptions(doc, o); err != nil {
					return err
				}
			}
			return withAdmin(env, &f, cmd, func(ops adminOps) error {
				p, err := ops.CreatePlan(cmd.Context(), appID, name, o)
				if err != nil {
					return err
				}
				if env.Output == "json" {
					return env.PrintJSON(map[string]string{"plan_id": p.ID})
				}
				fmt.Fprintf(env.Stdout, "plan_id: %s (version %d)\n", p.ID, p.Version)
				return nil
			})
		}}
	create.Flags().StringVar(&appID, "app", "", "app id")
	create.Flags().StringVar(&name, "name", "", "plan name")
	pf.bind(create)
	var upName string
	var disabled, enabled bool
	var upf planFlags
	update := &cobra.Command{Use: "update PLAN_ID", Short: "Store a new version of a plan (running sessions keep theirs)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			doc, err := upf.document(cmd)
			if err != nil {
				return err
			}
			var dis *bool
			if disabled || enabled {
				v := disabled
				dis = &v
			}
			return withAdmin(env, &f, cmd, func(ops adminOps) error {
				p, err := ops.UpdatePlan(cmd.Context(), args[0], upName, dis, doc)
				if err != nil {
					return err
				}
				if env.Output == "json" {
					return env.PrintJSON(p)
				}
				fmt.Fprintf(env.Stdout, "plan %s is now at version %d\n", p.ID, p.Version)
				return nil
			})
		}}
	update.Flags().StringVar(&upName, "name", "", "new name")
	update.Flags().BoolVar(&disabled, "disable", false, "disable the plan (no new verify tokens)")
	update.Flags().BoolVar(&enabled, "enable", false, "enable the plan")
	upf.bind(update)
	var listApp string
	list := &cobra.Command{Use: "list", Short: "List plans", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withAdmin(env, &f, cmd, func(ops adminOps) error {
				ps, err := ops.ListPlans(cmd.Context(), listApp)
				if err != nil {
					return err
				}
				if env.Output == "json" {
					return env.PrintJSON(ps)
				}
				tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "PLAN_ID\tAPP_ID\tNAME\tVERSION\tINPUT\tCOMPARE\tLIVENESS\tDISABLED")
				for _, p := range ps {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%v\n", p.ID, p.AppID, p.Name, p.Version, p.Options.IdentityInput, p.Options.CompareSource, p.Options.Liveness.Mode, p.Disabled)
				}
				return tw.Flush()
			})
		}}
	list.Flags().StringVar(&listApp, "app", "", "only this app's plans")
	show := &cobra.Command{Use: "show PLAN_ID", Short: "Show a plan's latest version", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAdmin(env, &f, cmd, func(ops adminOps) error {
				p, err := ops.ShowPlan(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				return env.PrintJSON(p)
			})
		}}
	cmd.AddCommand(create, update, list, show)
	return cmd
}

func newRegistryCmd(env *Env) *cobra.Command {
	var f adminFlags
	cmd := &cobra.Command{Use: "registry", Short: "The local reference-face registry (compare_source: registry)"}
	f.bind(cmd)
	var appID, name, idNumber, photo string
	enrol := &cobra.Command{Use: "enrol", Short: "Enrol a person: name, ID number and photo", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := os.ReadFile(photo)
			if err != nil {
				return err
			}
			return withAdmin(env, &f, cmd, func(ops adminOps) error {
				if err := ops.Enrol(cmd.Context(), appID, name, idNumber, b); err != nil {
					return err
				}
				fmt.Fprintln(env.Stdout, "enrolled")
				return nil
			})
		}}
	enrol.Flags().StringVar(&appID, "app", "", "app id")
	enrol.Flags().StringVar(&name, "name", "", "name")
	enrol.Flags().StringVar(&idNumber, "id-number", "", "resident ID number")
	enrol.Flags().StringVar(&photo, "photo", "", "photo file (JPEG/PNG)")
	var listApp string
	list := &cobra.Command{Use: "list", Short: "List enrolled people (masked)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withAdmin(env, &f, cmd, func(ops adminOps) error {
				es, err := ops.ListRegistry(cmd.Context(), listApp)
				if err != nil {
					return err
				}
				return env.PrintJSON(es)
			})
		}}
	list.Flags().StringVar(&listApp, "app", "", "app id")
	var delApp string
	del := &cobra.Command{Use: "delete ID_NUMBER", Short: "Remove a person", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAdmin(env, &f, cmd, func(ops adminOps) error { return ops.Unenrol(cmd.Context(), delApp, args[0]) })
		}}
	del.Flags().StringVar(&delApp, "app", "", "app id")
	cmd.AddCommand(enrol, list, del)
	return cmd
}
